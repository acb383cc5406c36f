import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCassandraClient } from '#libs/cassandra';
import { conversationSubject } from '#libs/events';
import { deadLetterStreamName, NatsClient, partitionStreamName } from '#libs/nats';
import { eventually } from '../support/app-process.js';
import { ChatStack } from '../support/chat-stack.js';
import { signUp } from '../support/chat-users.js';

const WINDOW = 3600;

async function scenario(
  mode: 'transient' | 'permanent',
): Promise<{ timelineTtl: number | null; inboxTtl: number | null; inboxAfterAck: number }> {
  const stack = await ChatStack.start({
    overrides: { RETENTION_MODE: mode, RETENTION_WINDOW_SECONDS: String(WINDOW) },
  });
  const cql = createCassandraClient(stack.env.cassandra);
  try {
    const alice = await signUp(stack);
    const bob = await signUp(stack);
    await alice.connect();
    const { conversationId } = await alice.chat.openDirect(bob.userId);
    await alice.chat.send(conversationId, 'hello');
    const inboxQuery =
      'SELECT TTL(payload) AS ttl FROM inbox_by_device WHERE user_id = ? AND device_id = ? AND partition = 0';
    await eventually(
      async () => (await cql.execute(inboxQuery, [bob.userId, bob.deviceId])).rowLength === 1,
      10_000,
      'inbox entry',
    );
    const inboxTtl = (await cql.execute(inboxQuery, [bob.userId, bob.deviceId])).first().get('ttl') as
      number | null;
    const timelineTtl = (
      await cql.execute(
        'SELECT TTL(body) AS ttl FROM messages_by_conversation WHERE conversation_id = ? AND bucket = 0',
        [conversationId],
      )
    )
      .first()
      .get('ttl') as number | null;

    await bob.connect();
    await bob.waitForMessages(conversationId, 1);
    await eventually(
      async () => (await cql.execute(inboxQuery, [bob.userId, bob.deviceId])).rowLength === 0,
      10_000,
      'entry gone after ack',
    );
    const inboxAfterAck = (await cql.execute(inboxQuery, [bob.userId, bob.deviceId])).rowLength;
    await Promise.all([alice.disconnect(), bob.disconnect()]);
    return { timelineTtl, inboxTtl, inboxAfterAck };
  } finally {
    await cql.shutdown();
    await stack.stop();
  }
}

describe('retention settings', () => {
  test('transient: timelines and inbox entries expire with the window; an acknowledged entry is deleted', async () => {
    const r = await scenario('transient');
    assert.ok(
      r.timelineTtl !== null && r.timelineTtl > WINDOW - 120 && r.timelineTtl <= WINDOW,
      `timeline TTL ${r.timelineTtl}`,
    );
    assert.ok(
      r.inboxTtl !== null && r.inboxTtl > WINDOW - 120 && r.inboxTtl <= WINDOW,
      `inbox TTL ${r.inboxTtl}`,
    );
    assert.equal(r.inboxAfterAck, 0);
  });

  test('permanent: history never expires; the inbox still empties on acknowledgement', async () => {
    const r = await scenario('permanent');
    assert.equal(r.timelineTtl, null);
    assert.equal(r.inboxTtl, null);
    assert.equal(r.inboxAfterAck, 0);
  });

  test('transient: after the window no message content is readable anywhere; membership and receipts stay', async () => {
    const stack = await ChatStack.start({
      overrides: {
        RETENTION_MODE: 'transient',
        // Long enough for bob to read the message on a loaded machine (it expires from the timeline with it).
        RETENTION_WINDOW_SECONDS: '5',
        RETENTION_SWEEP_INTERVAL_SECONDS: '1',
      },
    });
    const cql = createCassandraClient(stack.env.cassandra);
    const nats = await NatsClient.connect(stack.env.nats, 'retention-test');
    const secret = `secret-${Date.now()}`;
    try {
      const alice = await signUp(stack);
      const bob = await signUp(stack);
      await Promise.all([alice.connect(), bob.connect()]);
      const { conversationId } = await alice.chat.openDirect(bob.userId);
      const { messageId } = await alice.chat.send(conversationId, secret);
      await bob.waitForMessages(conversationId, 1);
      await bob.chat.markRead(conversationId, messageId);
      await eventually(async () => alice.receipts.some((r) => r.status === 'read'), 10_000, 'read receipt');
      // A message event the projector cannot apply is parked in the DLQ, content and all.
      const dlq = deadLetterStreamName(nats.topology);
      await nats.js.publish(
        conversationSubject(nats.topology, conversationId, 'msg'),
        new TextEncoder().encode(JSON.stringify({ type: 'MessageSent', note: secret })),
      );
      await eventually(
        async () => (await nats.jsm.streams.info(dlq)).state.messages > 0,
        10_000,
        'poison message parked',
      );

      const stream = partitionStreamName(nats.topology, 0);
      const last = (kind: 'meta' | 'msg' | 'rcpt') =>
        nats.jsm.direct
          .getMessage(stream, { last_by_subj: conversationSubject(nats.topology, conversationId, kind) })
          .catch(() => null);
      await eventually(
        async () => (await last('msg')) === null,
        15_000,
        'message events purged from the log',
      );
      assert.ok(await last('meta'), 'membership stays in the log');
      assert.ok(await last('rcpt'), 'receipts stay in the log');

      await eventually(
        async () => (await nats.jsm.streams.info(dlq)).state.messages === 0,
        15_000,
        'parked copy purged from the DLQ',
      );
      // Nothing in the stream's bytes, the timeline or the conversation list still holds the text.
      const consumer = await nats.js.consumers.get(stream);
      const info = await nats.jsm.streams.info(stream);
      const batch = await consumer.fetch({ max_messages: info.state.messages + 10, expires: 2_000 });
      for await (const m of batch) {
        assert.ok(!m.string().includes(secret), `stream ${stream} #${m.seq} still holds the text`);
        if (m.info.pending === 0) break;
      }
      await eventually(
        async () =>
          (
            await cql.execute(
              'SELECT seq FROM messages_by_conversation WHERE conversation_id = ? AND bucket = 0',
              [conversationId],
            )
          ).rowLength === 0,
        10_000,
        'timeline rows expired',
      );
      const list = await cql.execute(
        'SELECT last_message, last_message_seq FROM conversations_by_user WHERE user_id = ? AND conversation_id = ?',
        [bob.userId, conversationId],
      );
      assert.equal(list.first().get('last_message'), null, 'the list preview expired');
      assert.equal(Number(list.first().get('last_message_seq')), 1, 'the sequence stays');
    } finally {
      await nats.close();
      await cql.shutdown();
      await stack.stop();
    }
  });
});
