import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatError } from '#libs/client-sdk';
import { createCassandraClient } from '#libs/cassandra';
import { eventually } from '../support/app-process.js';
import { clientMessageRecorded } from '../support/rows.js';
import { ChatStack } from '../support/chat-stack.js';
import { linkDevice, signUp, type TestDevice } from '../support/chat-users.js';

let stack: ChatStack;
let alice1: TestDevice, alice2: TestDevice, bob1: TestDevice, bob2: TestDevice;
let conversationId: string;

describe('1:1 delivery: two users with two devices each on two gateway processes', () => {
  before(async () => {
    stack = await ChatStack.start({ gateways: 2 });
    alice1 = await signUp(stack);
    bob1 = await signUp(stack);
    alice2 = await linkDevice(stack, alice1);
    bob2 = await linkDevice(stack, bob1);
    await alice1.connect({ gateway: 0 });
    await alice2.connect({ gateway: 1 });
    await bob1.connect({ gateway: 1 });
    await bob2.connect({ gateway: 0 });
    ({ conversationId } = await alice1.chat.openDirect(bob1.userId));
  });
  after(async () => {
    await Promise.all([alice1, alice2, bob1, bob2].map((d) => d.disconnect()));
    await stack.stop();
  });

  test('opening the same 1:1 conversation from the other side finds the same one', async () => {
    const again = await bob2.chat.openDirect(alice1.userId);
    assert.deepEqual(again, { conversationId, created: false, e2e: false });
  });

  test('messages both ways reach every device exactly once, in order, with gap-free sequence numbers', async () => {
    const sent: string[] = [];
    for (let i = 0; i < 10; i++) {
      const from = i % 2 === 0 ? alice1 : bob2;
      const r = await from.chat.send(conversationId, `message ${i}`);
      assert.equal(r.duplicate, false);
      sent.push(r.messageId);
    }
    // Everyone but the sending device gets each message; the sender's other device gets it too.
    for (const device of [alice1, alice2, bob1, bob2]) {
      const expected = sent.filter((_, i) => (i % 2 === 0 ? alice1 : bob2) !== device);
      // The SDK drops a second copy by message id, so no quiet period: the list is final at this count.
      const got = await device.waitForMessages(conversationId, expected.length);
      const ids = device.of(conversationId).map((m) => m.messageId);
      assert.deepEqual(ids, expected, `${device.deviceId} got each message once, in order`);
      assert.deepEqual(
        got.map((m) => m.seq),
        expected.map((id) => sent.indexOf(id) + 1),
      );
    }
    const texts = alice2.of(conversationId).map((m) => m.text);
    assert.deepEqual(texts.slice(0, 2), ['message 0', 'message 1']);
  });

  test("the sender's devices see DELIVERED, then READ, live", async () => {
    const { messageId } = await alice1.chat.send(conversationId, 'did you get this?');
    await bob1.waitForMessages(conversationId, 6);
    for (const device of [alice1, alice2]) {
      await eventually(
        async () =>
          device.receipts.some((r) => r.status === 'delivered' && r.messageIds?.includes(messageId)),
        10_000,
        'delivered',
      );
    }
    await bob1.chat.markRead(conversationId, messageId);
    for (const device of [alice1, alice2]) {
      await eventually(
        async () =>
          device.receipts.some(
            (r) => r.status === 'read' && r.upToMessageId === messageId && r.userId === bob1.userId,
          ),
        10_000,
        'read',
      );
    }
    // Bob's other device learns the conversation was read on his phone.
    await eventually(
      async () => bob2.receipts.some((r) => r.status === 'read' && r.upToMessageId === messageId),
      10_000,
      'read sync',
    );
  });

  test("receipts reach a sender's device that was offline, after it reconnects", async () => {
    await alice2.disconnect();
    const { messageId } = await alice1.chat.send(conversationId, 'while your laptop sleeps');
    // Wait for this very message (a count would already be met by the earlier ones).
    await eventually(
      async () => bob1.of(conversationId).some((m) => m.messageId === messageId),
      10_000,
      'bob1 has it',
    );
    await bob1.chat.markRead(conversationId, messageId);
    await eventually(
      async () => alice1.receipts.some((r) => r.status === 'read' && r.upToMessageId === messageId),
      10_000,
      'read on phone',
    );
    await alice2.connect({ gateway: 1 });
    await eventually(
      async () => alice2.receipts.some((r) => r.status === 'read' && r.upToMessageId === messageId),
      10_000,
      'read after reconnect',
    );
    assert.ok(
      alice2.of(conversationId).some((m) => m.messageId === messageId),
      'and the message itself',
    );
  });

  test('history pages before and after a message; the conversation list shows last message and unread count', async () => {
    const page = await bob1.chat.history(conversationId, { limit: 5 });
    assert.equal(page.messages.length, 5);
    const seqs = page.messages.map((m) => m.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
    );
    const older = await bob1.chat.history(conversationId, {
      before: page.messages[0]!.messageId,
      limit: 100,
    });
    assert.deepEqual(
      older.messages.map((m) => m.seq),
      Array.from({ length: seqs[0]! - 1 }, (_, i) => i + 1),
    );
    const newer = await bob1.chat.history(conversationId, { after: older.messages[1]!.messageId, limit: 2 });
    assert.deepEqual(
      newer.messages.map((m) => m.seq),
      [3, 4],
    );

    const { messageId } = await alice1.chat.send(conversationId, 'unread one');
    await eventually(
      async () => bob2.of(conversationId).some((m) => m.messageId === messageId),
      10_000,
      'bob2 has it',
    );
    await eventually(
      async () => {
        const list = await bob2.chat.listConversations();
        return (
          list.conversations[0]?.lastMessage?.messageId === messageId &&
          list.conversations[0]?.unreadCount === 1
        );
      },
      10_000,
      'unread count 1',
    );
    const mine = await alice1.chat.listConversations();
    assert.equal(mine.conversations[0]!.unreadCount, 0, "one's own messages are not unread");
  });

  test('a stranger gets NOT_A_MEMBER for history and sending', async () => {
    const eve = await signUp(stack);
    await eve.connect();
    await assert.rejects(
      eve.chat.history(conversationId),
      (e: unknown) => e instanceof ChatError && e.code === 'NOT_A_MEMBER',
    );
    await assert.rejects(
      eve.chat.send(conversationId, 'let me in'),
      (e: unknown) => e instanceof ChatError && e.code === 'NOT_A_MEMBER',
    );
    await eve.disconnect();
  });

  test('a resend with the same client message id gives the same message, stored once', async () => {
    const first = await alice1.chat.send(conversationId, 'only once', { clientMessageId: 'resend-1' });
    const again = await alice1.chat.send(conversationId, 'only once', { clientMessageId: 'resend-1' });
    assert.equal(again.messageId, first.messageId);
    assert.equal(again.duplicate, true);
    await bob1.waitForMessage(first.messageId);
    const cql = createCassandraClient(stack.env.cassandra);
    try {
      await eventually(
        () => clientMessageRecorded(cql, alice1.userId, alice1.deviceId, 'resend-1'),
        20_000,
        'the durable client-id record',
      );
    } finally {
      await cql.shutdown();
    }
    // After the projection recorded it (the durable client-id record, not only JetStream's window):
    const later = await alice1.chat.send(conversationId, 'only once', { clientMessageId: 'resend-1' });
    assert.equal(later.messageId, first.messageId);
    assert.equal(bob1.of(conversationId).filter((m) => m.clientMessageId === 'resend-1').length, 1);
    // The timeline row is written in the same wave as the client-id record, maybe a moment after it.
    const inHistory = async (): Promise<number> =>
      (await bob1.chat.history(conversationId, { limit: 100 })).messages.filter(
        (m) => m.clientMessageId === 'resend-1',
      ).length;
    await eventually(async () => (await inHistory()) > 0, 20_000, 'the message in the history');
    assert.equal(await inHistory(), 1);
  });

  test('text over the limit is MESSAGE_TOO_LARGE naming the limit', async () => {
    await assert.rejects(alice1.chat.send(conversationId, 'x'.repeat(4097)), (e: unknown) => {
      assert.ok(e instanceof ChatError);
      assert.equal(e.code, 'MESSAGE_TOO_LARGE');
      assert.equal(e.details?.limit, 4096);
      return true;
    });
  });
});
