import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCassandraClient, migrate, type CqlClient } from '#libs/cassandra';
import { ConversationStore, TimelineStore } from '#libs/read-models';
import { BulkWriter } from '../src/commands/rebuild/bulk-writer.js';
import { cleanupTestEnv } from '../../../test/support/cleanup.js';
import { createTestEnv } from '../../../test/support/test-env.js';

const env = createTestEnv();
let cql: CqlClient;

const message = (conversationId: string, seq: number) => ({
  conversationId,
  messageId: String(1_000_000 + seq),
  seq,
  senderUserId: 'ann',
  senderDeviceId: 'd1',
  clientMessageId: `c-${conversationId}-${seq}`,
  text: `message ${seq}`,
  sentAt: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
});

describe('BulkWriter (real Cassandra)', () => {
  before(async () => {
    await migrate(env.cassandra);
    cql = createCassandraClient(env.cassandra);
  });
  after(async () => {
    await cql.shutdown();
    await cleanupTestEnv(env);
  });

  test("writes every row of the stores' statements, a partition's rows in few batches", async () => {
    const timeline = new TimelineStore(cql, 1);
    const writer = new BulkWriter(cql);
    // Two conversations interleaved, as a log interleaves them.
    for (let seq = 1; seq <= 150; seq++)
      for (const c of ['bulk-a', 'bulk-b'])
        await writer.write(await timeline.insertStatements(message(c, seq)));
    await writer.flush();
    assert.equal(writer.statements, 900);
    // 300 timeline rows in two partitions (at most 64 a batch, or ~5 KB), 600 lone rows ten a batch.
    assert.ok(writer.batches <= 20 + 60, `${writer.batches} writes for 900 rows`);
    for (const c of ['bulk-a', 'bulk-b']) {
      const page = await timeline.page(c, { limit: 200, lastSeq: 150 });
      assert.deepEqual(
        page.map((m) => m.seq),
        Array.from({ length: 150 }, (_, i) => i + 1),
      );
      assert.deepEqual(await timeline.ref(c, String(1_000_000 + 150)), { seq: 150, senderUserId: 'ann' });
      assert.equal((await timeline.byClientId('ann', 'd1', `c-${c}-7`))?.messageId, String(1_000_007));
    }
  });

  test('rows written after a flush overwrite the ones before it (final values of a folded conversation)', async () => {
    const conversations = new ConversationStore(cql, 1);
    const writer = new BulkWriter(cql);
    const row = {
      conversationId: 'bulk-c',
      kind: 'direct' as const,
      members: ['ann', 'bob'],
      lastMessageSeq: 0,
      appliedSequence: 3,
    };
    const created = new Date(Date.UTC(2026, 0, 1));
    await writer.write(await conversations.createStatements(row, 'ann', created));
    await writer.flush();
    const last = message('bulk-c', 2);
    await writer.write([
      await conversations.advanceStatement('bulk-c', 9, 2, new Date(last.sentAt)),
      ...(await conversations.recordMessageStatements(row.members, last)),
      await conversations.markReadStatement('bob', 'bulk-c', 2),
    ]);
    await writer.flush();
    assert.deepEqual(await conversations.get('bulk-c'), { ...row, lastMessageSeq: 2, appliedSequence: 9 });
    const listed = await conversations.summaryForUser('ann', 'bulk-c');
    assert.equal(listed?.lastMessage?.messageId, last.messageId);
    assert.equal(listed?.lastActivityAt, last.sentAt);
    assert.equal(listed?.unreadCount, 2);
    assert.equal((await conversations.summaryForUser('bob', 'bulk-c'))?.unreadCount, 0);
  });
});
