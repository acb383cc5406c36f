import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { headers } from '@nats-io/transport-node';
import { pino } from 'pino';
import { createCassandraClient, migrate, type CqlClient } from '#libs/cassandra';
import { RetentionConfig } from '#libs/config';
import {
  chatEventCodec,
  conversationSubject,
  EVENT_HEADERS,
  PersonalDataVault,
  type ChatEvent,
} from '#libs/events';
import {
  NatsClient,
  partitionStreamName,
  provisionStreams,
  streamTopology,
  type StoredMessage,
} from '#libs/nats';
import { MetricsService } from '#libs/platform';
import {
  conversationProjectionAt,
  MediaLinksUntouched,
  NoFanOut,
  type ConversationProjection,
} from '#libs/projections';
import { CassandraPersonalKeyStore, ConversationStore } from '#libs/read-models';
import { cleanupTestEnv } from '../support/cleanup.js';
import { conversationCreated, messageSent } from '../support/event-fixtures.js';
import { createTestEnv } from '../support/test-env.js';

/*
 * The conversation projection is the single writer of its conversations and keeps their rows in memory
 * after the first load. After every event, and after a restart mid-stream (a new process: empty memory,
 * the dead one's unacknowledged events redelivered), what it holds must equal a fresh load of the row.
 */
const env = createTestEnv();
let nats: NatsClient;
let cql: CqlClient;
let vault: PersonalDataVault<ChatEvent>;
let store: ConversationStore;

function projection(): ConversationProjection {
  return conversationProjectionAt(1, {
    nats,
    cql,
    fanOut: new NoFanOut(),
    mediaLinks: new MediaLinksUntouched(),
    vault,
    retention: new RetentionConfig(),
    logger: pino({ level: 'silent' }),
    metrics: new MetricsService(),
  });
}

async function append(e: ChatEvent, conversationId: string, kind: 'meta' | 'msg'): Promise<void> {
  const h = headers();
  h.set(EVENT_HEADERS.type, e.type);
  h.set(EVENT_HEADERS.version, String(e.version));
  await nats.js.publish(conversationSubject(nats.topology, conversationId, kind), await vault.encode(e), {
    headers: h,
    msgID: e.id,
  });
}

async function stored(seq: number, redelivered = false): Promise<StoredMessage> {
  const m = await nats.jsm.streams.getMessage(partitionStreamName(nats.topology, 0), { seq });
  assert.ok(m, `stream message ${seq}`);
  return { subject: m.subject, seq: m.seq, data: m.data, redelivered };
}

async function assertHeldIsStored(p: ConversationProjection, conversationId: string): Promise<void> {
  assert.deepEqual(p.held(conversationId), await store.get(conversationId));
}

describe('the reactor state in memory equals a fresh load (real nats-server and Cassandra)', () => {
  before(async () => {
    nats = await NatsClient.connect(env.nats, 'reactor-state-test');
    await provisionStreams(nats.jsm, streamTopology(nats.topology), 1);
    await migrate(env.cassandra);
    cql = createCassandraClient(env.cassandra);
    vault = new PersonalDataVault<ChatEvent>(chatEventCodec, new CassandraPersonalKeyStore(cql));
    store = new ConversationStore(cql, 1);
  });
  after(async () => {
    await cql.shutdown();
    await nats.close();
    await cleanupTestEnv(env);
  });

  test('after each event, after folded batches, and after a restart with redeliveries', async () => {
    const direct = 'c-direct';
    const group = 'c-group';
    await append(conversationCreated(direct, ['alice', 'bob']), direct, 'meta'); // seq 1
    await append(conversationCreated(group, ['alice', 'bob', 'carol']), group, 'meta'); // seq 2
    for (let i = 0; i < 12; i++) {
      await append(messageSent(direct, i % 2 ? 'bob' : 'alice', `d${i}`), direct, 'msg'); // seq 3..14
      await append(messageSent(group, 'carol', `g${i}`), group, 'msg'); // seq 15.. interleaved
    }
    const directSeqs = [3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25];
    const groupSeqs = directSeqs.map((s) => s + 1);

    const first = projection();
    await first.handle(await stored(1));
    await first.handle(await stored(2));
    await assertHeldIsStored(first, direct);
    await assertHeldIsStored(first, group);
    // One at a time, then folded in batches, as the consumer hands them over.
    for (const seq of directSeqs.slice(0, 3)) {
      await first.handle(await stored(seq));
      await assertHeldIsStored(first, direct);
    }
    await first.handleBatch(await Promise.all(directSeqs.slice(3, 7).map((s) => stored(s))));
    await assertHeldIsStored(first, direct);
    await first.handleBatch(await Promise.all(groupSeqs.slice(0, 5).map((s) => stored(s))));
    await assertHeldIsStored(first, group);

    // A restart: a new process, empty memory. The dead one's last events come back as redeliveries,
    // after newer ones of the same conversation (which catch up from the log first).
    const second = projection();
    await second.handleBatch(await Promise.all(directSeqs.slice(9).map((s) => stored(s))));
    await assertHeldIsStored(second, direct);
    for (const seq of directSeqs.slice(5, 9)) await second.handle(await stored(seq, true));
    await assertHeldIsStored(second, direct);
    for (const seq of groupSeqs.slice(3)) await second.handle(await stored(seq, seq < groupSeqs[5]!));
    await assertHeldIsStored(second, group);

    const d = await store.get(direct);
    const g = await store.get(group);
    assert.equal(d?.lastMessageSeq, 12, 'every direct message once, gap-free');
    assert.equal(d?.appliedSequence, directSeqs.at(-1));
    assert.equal(g?.lastMessageSeq, 12, 'every group message once, gap-free');
    assert.equal(g?.appliedSequence, groupSeqs.at(-1));
    const timeline = await cql.execute(
      'SELECT seq FROM messages_by_conversation WHERE conversation_id = ? AND bucket = 0',
      [direct],
    );
    assert.deepEqual(
      timeline.rows.map((r) => Number(r.get('seq'))).sort((a, b) => a - b),
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
  });
});
