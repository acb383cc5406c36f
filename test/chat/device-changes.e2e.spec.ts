import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCassandraClient } from '#libs/cassandra';
import { ChatHttpClient } from '#libs/client-sdk';
import { ChatStack } from '../support/chat-stack.js';
import { linkDevice, signUp, type TestDevice } from '../support/chat-users.js';

let stack: ChatStack;
let alice: TestDevice, bob: TestDevice;
let conversationId: string;

// The projector caches recipients' device lists between messages; these check that a device linked
// or removed between two messages of a busy conversation is taken into account at once.
describe('devices linked or removed while a conversation is busy', () => {
  before(async () => {
    stack = await ChatStack.start();
    alice = await signUp(stack);
    bob = await signUp(stack);
    await alice.connect();
    await bob.connect();
    ({ conversationId } = await alice.chat.openDirect(bob.userId));
    for (let i = 0; i < 5; i++) await alice.chat.send(conversationId, `warm ${i}`);
    await bob.waitForMessages(conversationId, 5);
  });
  after(() => stack.stop());

  test('a device linked after earlier messages gets the next message', async () => {
    const laptop = await linkDevice(stack, bob);
    await laptop.connect();
    const { messageId } = await alice.chat.send(conversationId, 'for the new laptop too');
    const got = await laptop.waitForMessages(conversationId, 1);
    assert.ok(
      got.some((m) => m.messageId === messageId),
      'the newly linked device received the message sent after it was linked',
    );
    await laptop.disconnect();
  });

  test('a removed device gets nothing sent after its removal', async () => {
    const tablet = await linkDevice(stack, bob);
    await tablet.connect({ autoAck: false });
    await alice.chat.send(conversationId, 'before removal');
    await tablet.waitForMessages(conversationId, 1);
    await tablet.disconnect();
    await new ChatHttpClient({ baseUrl: stack.liveGateways[0]!.url }).removeDevice(
      bob.tokens.accessToken,
      tablet.deviceId,
    );
    const { messageId } = await alice.chat.send(conversationId, 'after removal');
    await bob.waitForMessages(conversationId, 8);
    assert.ok(bob.of(conversationId).some((m) => m.messageId === messageId));
    const cql = createCassandraClient(stack.env.cassandra);
    const pending = await cql
      .execute('SELECT payload FROM inbox_by_device WHERE user_id = ? AND device_id = ? AND partition = 0', [
        bob.userId,
        tablet.deviceId,
      ])
      .finally(() => cql.shutdown());
    assert.equal(
      pending.rows.filter((r) => (r.get('payload') as string).includes(messageId)).length,
      0,
      'no inbox entry was written for the removed device',
    );
  });
});
