import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SnowflakeGenerator } from '#libs/domain';
import { chatEventCodec, conversationSubject, type ChatEvent, type MessageSent } from '#libs/events';
import { EventStore, NatsClient } from '#libs/nats';
import { ChatStack } from '../support/chat-stack.js';
import { signUp, type TestDevice } from '../support/chat-users.js';

let stack: ChatStack;

function assertConversationOrder(device: TestDevice, conversationId: string, count: number): void {
  const got = device.of(conversationId);
  assert.equal(got.length, count, `${conversationId}: ${got.length} of ${count}`);
  assert.equal(new Set(got.map((m) => m.messageId)).size, count, 'no duplicates');
  assert.deepEqual(
    got.map((m) => m.seq),
    Array.from({ length: count }, (_, i) => i + 1),
    'per-conversation order, no gap',
  );
}

describe('offline store-and-forward and ordering', () => {
  before(async () => {
    stack = await ChatStack.start({ gateways: 1 });
  });
  after(() => stack.stop());

  test('a recipient offline while three senders send 1,000 messages gets all of them on reconnect, in order', async () => {
    const bob = await signUp(stack);
    const senders = [await signUp(stack), await signUp(stack), await signUp(stack)];
    const conversations: string[] = [];
    for (const s of senders) {
      await s.connect();
      conversations.push((await s.chat.openDirect(bob.userId)).conversationId);
    }
    const perSender = [334, 333, 333];
    await Promise.all(
      senders.map(async (s, i) => {
        for (let n = 0; n < perSender[i]!; n++) await s.chat.send(conversations[i]!, `m${n}`);
      }),
    );
    await bob.connect();
    // The SDK drops second copies by message id: at the count the lists are final.
    for (let i = 0; i < 3; i++) await bob.waitForMessages(conversations[i]!, perSender[i]!, 60_000);
    for (let i = 0; i < 3; i++) assertConversationOrder(bob, conversations[i]!, perSender[i]!);
    await Promise.all([bob, ...senders].map((d) => d.disconnect()));
  });

  test('message ids minted out of order by two processes (clock skew) never hide a message from a device', async () => {
    const alice = await signUp(stack);
    const bob = await signUp(stack);
    await alice.connect();
    const { conversationId } = await alice.chat.openDirect(bob.userId);
    await alice.disconnect();

    // Two "gateways" with clocks 5 s apart append interleaved: ids arrive in the log out of id order.
    const nats = await NatsClient.connect(stack.env.nats, 'skew-test');
    const store = new EventStore<ChatEvent>(nats.js, nats.jsm, chatEventCodec);
    const now = Date.now();
    const fast = new SnowflakeGenerator(901, () => now + 5000);
    const slow = new SnowflakeGenerator(902, () => now);
    const subject = conversationSubject(nats.topology, conversationId, 'msg');
    const ids: string[] = [];
    const append = async (gen: SnowflakeGenerator, i: number): Promise<void> => {
      const messageId = gen.nextString();
      ids.push(messageId);
      const event: MessageSent = {
        type: 'MessageSent',
        version: 2,
        id: randomUUID(),
        occurredAt: new Date().toISOString(),
        data: {
          conversationId,
          messageId,
          senderUserId: alice.userId,
          senderDeviceId: alice.deviceId,
          clientMessageId: `skew-${i}`,
          membershipVersion: 1,
          content: { type: 'text', text: `skewed ${i}` },
          sentAt: new Date().toISOString(),
        },
      };
      await store.append(subject, event);
    };

    // Bob reads some, acknowledges, and his cursor moves past the fast clock's ids.
    await append(fast, 0);
    await bob.connect();
    await bob.waitForMessages(conversationId, 1);
    await bob.disconnect(); // the client's close sends its queued acks and waits for their answers
    for (let i = 1; i <= 20; i++) await append(i % 2 === 0 ? fast : slow, i);
    await nats.close();
    assert.ok(BigInt(ids[1]!) < BigInt(ids[0]!), 'the slow clock minted smaller ids after larger ones');

    await bob.connect();
    await bob.waitForMessages(conversationId, 21);
    assert.deepEqual(new Set(bob.of(conversationId).map((m) => m.messageId)), new Set(ids));
    assertConversationOrder(bob, conversationId, 21);
    await bob.disconnect();
  });
});
