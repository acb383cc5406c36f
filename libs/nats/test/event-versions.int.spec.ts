import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { defineEvent, EventCodec, EventSchemaError, type EventEnvelope } from '#libs/events';
import { EventStore, NatsClient, partitionStreamName, provisionStreams, streamTopology } from '#libs/nats';
import { createTestEnv } from '../../../test/support/test-env.js';
import { cleanupTestEnv } from '../../../test/support/cleanup.js';

/*
 * One event type as it evolved: v1 held `text`; v2 renamed it `body` and added `format`. The writer of
 * yesterday (v1 catalogue) and of today (v2 catalogue) both append to one stream; today's reader must
 * see every event in the v2 shape, upcast in one place: the codec.
 */
const NoteAddedV1 = defineEvent({
  type: 'NoteAdded',
  version: 1,
  aggregate: 'conversation',
  subjectKind: 'msg',
  description: 'test-only: v1',
  schema: z.object({ noteId: z.string(), text: z.string() }),
});
const NoteAddedV2 = defineEvent({
  type: 'NoteAdded',
  version: 2,
  aggregate: 'conversation',
  subjectKind: 'msg',
  description: 'test-only: v2',
  schema: z.object({ noteId: z.string(), body: z.string(), format: z.enum(['plain', 'markdown']) }),
  upcasters: {
    1: (data) => {
      const v1 = NoteAddedV1.schema.parse(data);
      return { noteId: v1.noteId, body: v1.text, format: 'plain' };
    },
  },
});
type NoteV1 = EventEnvelope<'NoteAdded', z.infer<typeof NoteAddedV1.schema>>;
type NoteV2 = EventEnvelope<'NoteAdded', z.infer<typeof NoteAddedV2.schema>>;

const env = createTestEnv();
let client: NatsClient;

describe('a stream holding v1 and v2 of one event type (real nats-server)', () => {
  before(async () => {
    client = await NatsClient.connect(env.nats, 'event-versions-test');
    await provisionStreams(client.jsm, streamTopology(client.topology), 1);
  });
  after(async () => {
    await client.close();
    await cleanupTestEnv(env);
  });

  test('replays every event in the current shape, upcasting the old ones in the codec', async () => {
    const stream = partitionStreamName(client.topology, 0);
    const subject = `${env.id}.chat.conv.0.notes.msg`;
    const yesterday = new EventStore<NoteV1>(client.js, client.jsm, new EventCodec<NoteV1>([NoteAddedV1]));
    const today = new EventStore<NoteV2>(client.js, client.jsm, new EventCodec<NoteV2>([NoteAddedV2]));
    const at = new Date().toISOString();
    await yesterday.append(subject, {
      type: 'NoteAdded',
      version: 1,
      id: 'n1',
      occurredAt: at,
      data: { noteId: 'n1', text: 'old' },
    });
    await today.append(subject, {
      type: 'NoteAdded',
      version: 2,
      id: 'n2',
      occurredAt: at,
      data: { noteId: 'n2', body: '*new*', format: 'markdown' },
    });
    await yesterday.append(subject, {
      type: 'NoteAdded',
      version: 1,
      id: 'n3',
      occurredAt: at,
      data: { noteId: 'n3', text: 'old again' },
    });

    const raw = await client.jsm.streams.getMessage(stream, { seq: 1 });
    assert.equal(raw?.header.get('Chat-Event-Version'), '1', 'the log keeps what was written');

    const replayed = await today.read(stream, subject);
    assert.deepEqual(
      replayed.map((e) => [e.streamSequence, e.event.version, e.event.data]),
      [
        [1, 2, { noteId: 'n1', body: 'old', format: 'plain' }],
        [2, 2, { noteId: 'n2', body: '*new*', format: 'markdown' }],
        [3, 2, { noteId: 'n3', body: 'old again', format: 'plain' }],
      ],
    );

    // Yesterday's reader meets today's event: refused with a stable code, never misread.
    await assert.rejects(yesterday.read(stream, subject), (err: unknown) => {
      assert.ok(err instanceof EventSchemaError);
      assert.equal(err.code, 'EVENT_VERSION_UNSUPPORTED');
      return true;
    });
  });
});
