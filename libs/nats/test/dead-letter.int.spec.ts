import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsMsg } from '@nats-io/jetstream';
import { pino } from 'pino';
import { chatEventCodec, conversationSubject, type ConversationCreated } from '#libs/events';
import {
  DEAD_LETTER_HEADERS,
  deadLetterOrigin,
  deadLetterStreamName,
  deadLetterSubject,
  DurableConsumer,
  EventStore,
  NatsClient,
  partitionStreamName,
  provisionStreams,
  streamTopology,
  type ConsumerObserver,
} from '#libs/nats';
import { createTestEnv } from '../../../test/support/test-env.js';
import { cleanupTestEnv } from '../../../test/support/cleanup.js';
import { eventually } from '../../../test/support/wait.js';

const env = createTestEnv();
let client: NatsClient;

function created(conversationId: string): ConversationCreated {
  return {
    type: 'ConversationCreated',
    version: 1,
    id: `evt-${conversationId}`,
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

function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  return eventually(async () => check(), ms, what);
}

describe('poison events are retried, then parked on the dead-letter subject (real nats-server)', () => {
  before(async () => {
    client = await NatsClient.connect(env.nats, 'dead-letter-test');
    await provisionStreams(client.jsm, streamTopology(client.topology), 1);
  });
  after(async () => {
    await client.close();
    await cleanupTestEnv(env);
  });

  test('a failing event is parked with its origin after maxAttempts, an undecodable one at once, and the rest is applied', async () => {
    const store = new EventStore(client.js, client.jsm, chatEventCodec);
    const stream = partitionStreamName(client.topology, 0);
    const dlqSubject = deadLetterSubject(client.topology, 'test-projection');
    await store.append(conversationSubject(client.topology, 'c1', 'meta'), created('c1'));
    const poison = await store.append(conversationSubject(client.topology, 'c2', 'meta'), created('c2'));
    // Bytes no codec can read, as an old buggy writer might have left them.
    const garbage = await client.js.publish(conversationSubject(client.topology, 'c3', 'meta'), 'not json');
    await store.append(conversationSubject(client.topology, 'c4', 'meta'), created('c4'));

    const applied: string[] = [];
    const attempts = new Map<number, number>();
    const seen = { applied: 0, failed: 0, parked: 0 };
    const observer: ConsumerObserver = {
      applied: () => seen.applied++,
      failed: () => seen.failed++,
      parked: () => seen.parked++,
    };
    const consumer = new DurableConsumer(client.js, client.jsm, {
      stream,
      durable: 'test-projection',
      keyOf: (m: JsMsg) => m.subject,
      handle: async (m: JsMsg) => {
        attempts.set(m.seq, (attempts.get(m.seq) ?? 0) + 1);
        const event = chatEventCodec.decode(m.data) as ConversationCreated;
        if (event.data.conversationId === 'c2') throw new Error('read model rejects c2');
        applied.push(event.data.conversationId);
      },
      logger: pino({ level: 'silent' }),
      maxAttempts: 3,
      backoffMs: 10,
      deadLetterSubject: dlqSubject,
      observer,
    });
    await consumer.start();
    try {
      await until(() => seen.parked === 2 && applied.length === 2, 'two parked and two applied');
    } finally {
      await consumer.stop();
    }

    assert.deepEqual(applied.sort(), ['c1', 'c4']);
    assert.equal(attempts.get(poison.seq), 3, 'retried up to maxAttempts');
    assert.equal(attempts.get(garbage.seq), 1, 'a schema failure is not retried');
    assert.deepEqual(seen, { applied: 2, failed: 4, parked: 2 });

    // ack() and term() are not awaited by the server round trip: give them a moment to land.
    await until(async () => {
      const info = await client.jsm.consumers.info(stream, 'test-projection');
      return info.num_pending === 0 && info.num_ack_pending === 0;
    }, 'the parked events terminated, not left pending');

    const dlqStream = deadLetterStreamName(client.topology);
    assert.equal((await client.jsm.streams.info(dlqStream)).state.messages, 2);
    const byOrigin = new Map<number, { origin: ReturnType<typeof deadLetterOrigin>; data: string }>();
    for (const seq of [1, 2]) {
      const m = await client.jsm.streams.getMessage(dlqStream, { seq });
      assert.ok(m);
      assert.equal(m.subject, dlqSubject);
      const origin = deadLetterOrigin(m.header);
      byOrigin.set(origin!.sequence, { origin, data: new TextDecoder().decode(m.data) });
    }
    const parkedPoison = byOrigin.get(poison.seq);
    assert.equal(parkedPoison?.origin?.stream, stream);
    assert.equal(parkedPoison?.origin?.durable, 'test-projection');
    assert.equal(parkedPoison?.origin?.error, 'read model rejects c2');
    assert.equal(parkedPoison?.origin?.attempts, 3);
    assert.equal(parkedPoison?.origin?.subject, conversationSubject(client.topology, 'c2', 'meta'));
    assert.equal(
      (chatEventCodec.decode(new TextEncoder().encode(parkedPoison!.data)) as ConversationCreated).data
        .conversationId,
      'c2',
      'the original payload is parked unchanged',
    );
    const parkedGarbage = byOrigin.get(garbage.seq);
    assert.equal(parkedGarbage?.origin?.errorCode, 'EVENT_MALFORMED');
    assert.equal(parkedGarbage?.data, 'not json');
    const raw = await client.jsm.streams.getMessage(dlqStream, { seq: 1 });
    assert.ok(raw?.header.get(DEAD_LETTER_HEADERS.parkedAt));
  });

  test('a dependency that is down is retried past maxAttempts, never parked, and its key resumes in order', async () => {
    const store = new EventStore(client.js, client.jsm, chatEventCodec);
    const stream = partitionStreamName(client.topology, 0);
    const subject = conversationSubject(client.topology, 'down1', 'meta');
    const first = await store.append(subject, created('down1'));
    const second = await store.append(subject, { ...created('down1'), id: 'evt-down1-again' });
    const seen = { parked: 0 };
    const applied: number[] = [];
    let attempts = 0;
    /** What cassandra-driver throws when no node answers. */
    const outage = Object.assign(new Error('All host(s) tried for query failed'), {
      name: 'NoHostAvailableError',
    });
    const consumer = new DurableConsumer(client.js, client.jsm, {
      stream,
      durable: 'test-outage',
      filterSubject: subject,
      keyOf: (m: JsMsg) => m.subject,
      handle: (m: JsMsg) => {
        if (m.seq === first.seq && ++attempts <= 8) return Promise.reject(outage);
        applied.push(m.seq);
        return Promise.resolve();
      },
      logger: pino({ level: 'silent' }),
      maxAttempts: 3,
      backoffMs: 10,
      maxBackoffMs: 40,
      deadLetterSubject: deadLetterSubject(client.topology, 'test-outage'),
      observer: { applied: () => undefined, failed: () => undefined, parked: () => seen.parked++ },
    });
    await consumer.start();
    try {
      await until(() => applied.length === 2, 'both applied once the dependency is back');
    } finally {
      await consumer.stop();
    }
    assert.equal(attempts, 9, 'retried well past maxAttempts (3)');
    assert.deepEqual(applied, [first.seq, second.seq], 'in order: the later event waited');
    assert.equal(seen.parked, 0, 'nothing parked');
  });
});
