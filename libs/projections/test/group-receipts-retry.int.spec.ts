import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCassandraClient, migrate, type CqlClient } from '#libs/cassandra';
import { GroupReceipts, settleAggregates } from '#libs/projections';
import { ConversationStore, GroupAggregateStore, ReceiptStore, TimelineStore } from '#libs/read-models';
import { createTestEnv } from '../../../test/support/test-env.js';
import { cleanupTestEnv } from '../../../test/support/cleanup.js';

const env = createTestEnv();

/**
 * A group's "delivered to all" is marked sent in memory when it is computed, before it goes out. When
 * its delivery fails (Cassandra cut off, say) the event is handled again: the retry must compute it
 * again, not find it sent. A fault run once lost a sender's "delivered" tick that way.
 */
describe('group aggregates after a failed delivery (real Cassandra)', () => {
  let cql: CqlClient;
  let receipts: ReceiptStore;
  const groupReceipts = (): GroupReceipts =>
    new GroupReceipts(
      receipts,
      new ConversationStore(cql),
      new TimelineStore(cql),
      new GroupAggregateStore(cql),
    );

  before(async () => {
    await migrate(env.cassandra);
    cql = createCassandraClient(env.cassandra);
    receipts = new ReceiptStore(cql);
  });
  after(async () => {
    await cql?.shutdown();
    await cleanupTestEnv(env);
  });

  const members = ['alice', 'bob', 'carol'];
  const message = { id: 'm1', senderUserId: 'alice' };

  /** Bob's receipt, then Carol's (each after its status row, as the projection does): Carol's completes it. */
  async function completeBy(
    g: GroupReceipts,
    conversationId: string,
  ): Promise<ReturnType<GroupReceipts['deliveredToAll']>> {
    for (const userId of ['bob', 'carol']) {
      await receipts.delivered(conversationId, [{ messageId: message.id, userId }], new Date());
      const agg = await g.deliveredToAll(conversationId, members, userId, [message]);
      if (userId === 'carol') return agg;
      assert.deepEqual([...agg.send], [], 'not complete with bob alone');
    }
    throw new Error('unreachable');
  }

  test('a failed delivery forgets the aggregate: the retry sends it, and once sent it is not sent again', async () => {
    const g = groupReceipts();
    const first = await completeBy(g, 'g_retry');
    assert.deepEqual([...first.send], [['alice', ['m1']]], 'carol completes the message');

    await assert.rejects(
      settleAggregates([first], () => Promise.reject(new Error('cassandra cut off'))),
      /cut off/,
    );
    const retry = await g.deliveredToAll('g_retry', members, 'carol', [message]);
    assert.deepEqual([...retry.send], [['alice', ['m1']]], 'the retry computes it again');

    await settleAggregates([retry], () => Promise.resolve());
    const again = await g.deliveredToAll('g_retry', members, 'carol', [message]);
    assert.deepEqual([...again.send], [], 'delivered and recorded: never twice');
    const restarted = await groupReceipts().deliveredToAll('g_retry', members, 'carol', [message]);
    assert.deepEqual([...restarted.send], [], 'nor after a restart (the record is durable)');
  });

  test('without the failure path it would be lost: a computed aggregate left unsent is not computed again', async () => {
    const g = groupReceipts();
    await completeBy(g, 'g_lost');
    const retry = await g.deliveredToAll('g_lost', members, 'carol', [message]);
    assert.deepEqual([...retry.send], [], 'what abandon() exists for');
  });

  test('a load that fails midway through a receipt forgets what the receipt had completed before it', async () => {
    // message_id is a bigint: ids that differ as numbers.
    const [first, second] = ['1001', '1002'].map((id) => ({ id, senderUserId: 'alice' }));
    // The second message's status read fails once, as a read did when Cassandra was cut off in a fault run.
    let failures = 1;
    const flaky = new (class extends ReceiptStore {
      override status(conversationId: string, messageId: string): ReturnType<ReceiptStore['status']> {
        if (messageId === second!.id && failures-- > 0)
          return Promise.reject(new Error('All host(s) tried for query failed.'));
        return super.status(conversationId, messageId);
      }
    })(cql);
    const g = new GroupReceipts(
      flaky,
      new ConversationStore(cql),
      new TimelineStore(cql),
      new GroupAggregateStore(cql),
    );
    await receipts.delivered('g_midway', [{ messageId: first!.id, userId: 'bob' }], new Date());
    await g.deliveredToAll('g_midway', members, 'bob', [first!]); // the first is loaded (cached) now
    await receipts.delivered(
      'g_midway',
      [first!, second!].map((m) => ({ messageId: m.id, userId: 'carol' })),
      new Date(),
    );
    // Carol's receipt names the first (completed from the cache) and the second (whose load fails).
    await assert.rejects(g.deliveredToAll('g_midway', members, 'carol', [first!, second!]), /All host/);
    const retry = await g.deliveredToAll('g_midway', members, 'carol', [first!, second!]);
    assert.deepEqual(
      [...retry.send],
      [['alice', ['1001']]],
      'the retry completes the first (the second waits for bob)',
    );
  });
});
