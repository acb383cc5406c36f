import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCassandraClient } from '#libs/cassandra';
import { eventually } from '../support/app-process.js';
import { ChatStack } from '../support/chat-stack.js';
import { signUp } from '../support/chat-users.js';

let stack: ChatStack;

describe('faults: processes killed while messages flow', () => {
  before(async () => {
    stack = await ChatStack.start({ gateways: 2 });
  });
  after(() => stack.stop());

  test('a gateway killed with devices connected: the SDK moves to the other gateway and nothing is lost', async () => {
    const alice = await signUp(stack);
    const bob = await signUp(stack);
    await alice.connect({ gateway: 1 });
    await bob.connect({ gateway: 0 });
    const { conversationId } = await alice.chat.openDirect(bob.userId);
    const total = 200;
    const sending = (async () => {
      for (let i = 0; i < total; i++)
        await alice.chat.send(conversationId, `m${i}`, { clientMessageId: `kill-${i}` });
    })();
    await bob.waitForMessages(conversationId, 20);
    await stack.gateways[0]!.stop('SIGKILL'); // bob's gateway dies mid-stream
    await sending;
    // The SDK drops second copies by message id: at `total` the list is final, no quiet period needed.
    const got = await bob.waitForMessages(conversationId, total, 60_000);
    assert.equal(bob.of(conversationId).length, total, 'exactly once after de-duplication');
    assert.deepEqual(
      got.map((m) => m.seq),
      Array.from({ length: total }, (_, i) => i + 1),
    );
    await stack.startGateway();
    await Promise.all([alice.disconnect(), bob.disconnect()]);
  });

  test('a projector killed mid-stream and restarted: read models converge with no duplicate row and no lost inbox entry', async () => {
    const alice = await signUp(stack);
    const bob = await signUp(stack);
    await alice.connect();
    const { conversationId } = await alice.chat.openDirect(bob.userId);
    const total = 300;
    let sent = 0;
    const sending = (async () => {
      for (let i = 0; i < total; i++) {
        await alice.chat.send(conversationId, `p${i}`);
        sent++;
      }
    })();
    await eventually(async () => sent >= 20, 20_000, 'the stream under way'); // killed mid-stream
    await stack.projector!.stop('SIGKILL');
    await sending; // sends keep succeeding: the log takes them while no projector runs
    await stack.startProjector();

    const cql = createCassandraClient(stack.env.cassandra);
    try {
      await eventually(
        async () => {
          const row = (
            await cql.execute('SELECT last_message_seq FROM conversations WHERE conversation_id = ?', [
              conversationId,
            ])
          ).first();
          return Number(row?.get('last_message_seq') ?? 0) === total;
        },
        60_000,
        'projection caught up',
      );
      const timeline = await cql.execute(
        'SELECT seq, message_id FROM messages_by_conversation WHERE conversation_id = ? AND bucket = 0',
        [conversationId],
        { fetchSize: 1000 },
      );
      assert.equal(timeline.rowLength, total, 'one timeline row per message');
      assert.equal(
        new Set(timeline.rows.map((r) => String(r.get('message_id')))).size,
        total,
        'no message twice',
      );
      const inbox = await cql.execute(
        'SELECT stream_seq FROM inbox_by_device WHERE user_id = ? AND device_id = ? AND partition = 0',
        [bob.userId, bob.deviceId],
        { fetchSize: 1000 },
      );
      assert.equal(inbox.rowLength, total, 'one inbox entry per message for the offline device');
    } finally {
      await cql.shutdown();
    }
    await bob.connect();
    const got = await bob.waitForMessages(conversationId, total, 30_000);
    assert.deepEqual(
      got.map((m) => m.seq),
      Array.from({ length: total }, (_, i) => i + 1),
    );
    await Promise.all([alice.disconnect(), bob.disconnect()]);
  });
});
