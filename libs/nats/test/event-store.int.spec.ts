import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { conversationSubject, EventSchemaError, type ConversationCreated } from '#libs/events';
import {
  ConcurrencyError,
  conversationStreamName,
  NatsClient,
  provisionStreams,
  streamTopology,
  EventStore,
} from '#libs/nats';
import { chatEventCodec, type ChatEvent } from '#libs/events';
import { createTestEnv } from '../../../test/support/test-env.js';
import { cleanupTestEnv } from '../../../test/support/cleanup.js';

const env = createTestEnv({ CHAT_STREAM_PARTITIONS: '3' });
let client: NatsClient;
let store: EventStore<ChatEvent>;

function created(conversationId: string, id: string): ConversationCreated {
  return {
    type: 'ConversationCreated',
    version: 1,
    id,
    occurredAt: new Date().toISOString(),
    data: {
      conversationId,
      kind: 'direct',
      createdBy: 'alice',
      members: [
        { userId: 'alice', role: 'member' },
        { userId: 'bob', role: 'member' },
      ],
    },
  };
}

describe('JetStream event store (real nats-server)', () => {
  before(async () => {
    client = await NatsClient.connect(env.nats, 'event-store-test');
    store = new EventStore(client.js, client.jsm, chatEventCodec);
  });
  after(async () => {
    await client.close();
    await cleanupTestEnv(env);
  });

  test('streams are created once and then left unchanged', async () => {
    const specs = streamTopology(client.topology);
    assert.deepEqual(
      specs.map((s) => s.name),
      [
        `${env.id.toUpperCase()}_CHAT_0`,
        `${env.id.toUpperCase()}_CHAT_1`,
        `${env.id.toUpperCase()}_CHAT_2`,
        `${env.id.toUpperCase()}_USERS`,
        `${env.id.toUpperCase()}_PRESENCE`,
        `${env.id.toUpperCase()}_DLQ`,
      ],
    );
    const first = await provisionStreams(client.jsm, specs, 1);
    assert.ok(Object.values(first).every((o) => o === 'created'));
    const second = await provisionStreams(client.jsm, specs, 1);
    assert.ok(Object.values(second).every((o) => o === 'unchanged'));
  });

  test('an appended event is read back by its subject, with its headers', async () => {
    const subject = conversationSubject(client.topology, 'conv1', 'meta');
    const stream = conversationStreamName(client.topology, 'conv1');
    const result = await store.append(subject, created('conv1', 'evt-1'), { expectedLastSubjectSequence: 0 });
    assert.equal(result.stream, stream);
    assert.equal(result.duplicate, false);

    const events = await store.read(stream, subject);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.event.type, 'ConversationCreated');
    assert.equal(events[0]!.streamSequence, result.seq);
    assert.deepEqual(events[0]!.event.data, created('conv1', 'evt-1').data);

    const raw = await client.jsm.streams.getMessage(stream, { seq: result.seq });
    assert.equal(raw?.header.get('Chat-Event-Type'), 'ConversationCreated');
    assert.equal(raw?.header.get('Chat-Event-Version'), '1');
    assert.equal(await store.lastSequence(stream, subject), result.seq);
  });

  test('optimistic concurrency: a stale expected sequence is a ConcurrencyError; other subjects are unaffected', async () => {
    const subject = conversationSubject(client.topology, 'conv2', 'meta');
    await store.append(subject, created('conv2', 'evt-2a'), { expectedLastSubjectSequence: 0 });
    await assert.rejects(
      store.append(subject, created('conv2', 'evt-2b'), { expectedLastSubjectSequence: 0 }),
      ConcurrencyError,
    );
    const other = conversationSubject(client.topology, 'conv3', 'meta');
    await store.append(other, created('conv3', 'evt-3'), { expectedLastSubjectSequence: 0 });
  });

  test('a resend with the same msgId is recognised as a duplicate and stores nothing', async () => {
    const subject = conversationSubject(client.topology, 'conv4', 'meta');
    const stream = conversationStreamName(client.topology, 'conv4');
    const first = await store.append(subject, created('conv4', 'evt-4'));
    const again = await store.append(subject, created('conv4', 'evt-4'));
    assert.equal(again.duplicate, true);
    assert.equal(again.seq, first.seq);
    assert.equal((await store.read(stream, subject)).length, 1);
  });

  test('an event that fails its schema never enters the stream', async () => {
    const subject = conversationSubject(client.topology, 'conv5', 'meta');
    const stream = conversationStreamName(client.topology, 'conv5');
    const bad = created('conv5', 'evt-5');
    const broken = { ...bad, data: { ...bad.data, members: [] } };
    await assert.rejects(store.append(subject, broken), (err: unknown) => {
      assert.ok(err instanceof EventSchemaError);
      assert.equal(err.code, 'EVENT_SCHEMA_INVALID');
      assert.match(err.message, /members/);
      return true;
    });
    assert.equal(await store.lastSequence(stream, subject), 0);
  });
});
