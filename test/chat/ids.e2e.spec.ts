import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatStack } from '../support/chat-stack.js';
import { signUp, type TestDevice } from '../support/chat-users.js';
import { FrameSocket } from '../support/frame-socket.js';

/**
 * Ids a client sends (issue 14, items 13 and 14): a clientMessageId is printable with no whitespace at
 * its ends, and distinct ones never meet in one Nats-Msg-Id; a message id is canonical decimal in the
 * signed 64-bit range, so `id + 2^64` cannot alias a real message.
 */
let stack: ChatStack;
let alice: TestDevice;
let bob: TestDevice;
let conversationId: string;
let messageId: string;
let socket: FrameSocket;

describe('client-sent ids (real gateway, NATS, Cassandra)', () => {
  before(async () => {
    stack = await ChatStack.start();
    [alice, bob] = [await signUp(stack), await signUp(stack)];
    await alice.connect();
    conversationId = (await alice.chat.openDirect(bob.userId)).conversationId;
    messageId = (await alice.chat.send(conversationId, 'the real one')).messageId;
    socket = await FrameSocket.open(stack.wsUrls[0]!, alice.tokens.accessToken);
  });
  after(async () => {
    socket.close();
    await stack.stop();
  });

  const send = (clientMessageId: string): ReturnType<FrameSocket['request']> =>
    socket.request('message.send', {
      conversationId,
      clientMessageId,
      text: `cmid ${JSON.stringify(clientMessageId)}`,
    });

  test('clientMessageIds with control characters or whitespace at the ends are VALIDATION_FAILED', async () => {
    for (const bad of ['k ', ' k', 'k\t', 'k\n', 'a\r\nb', 'a\u0000b', '\u200bk', 'k\u2028', '']) {
      const a = await send(bad);
      assert.equal(a.error?.code, 'VALIDATION_FAILED', `${JSON.stringify(bad)}: ${JSON.stringify(a)}`);
    }
  });

  test('k, then k with a space: the second is refused, not silently merged into the first', async () => {
    const first = await send('k');
    assert.equal(first.type, 'result');
    const second = await send('k ');
    assert.equal(second.error?.code, 'VALIDATION_FAILED', JSON.stringify(second));
  });

  test('distinct allowed clientMessageIds are distinct messages (no two share a Nats-Msg-Id)', async () => {
    const ids = ['x y', 'x  y', 'x.y', 'x_y', 'héllo', 'hello', 'a=b', 'a+b', 'k'];
    const results = await Promise.all(ids.map((id) => send(id)));
    const byId = new Map(
      results.map((r, i) => [ids[i]!, r.data as { messageId: string; duplicate: boolean }]),
    );
    assert.ok(
      results.every((r) => r.type === 'result'),
      JSON.stringify(results),
    );
    const fresh = ids.filter((id) => id !== 'k').map((id) => byId.get(id)!);
    assert.ok(fresh.every((r) => !r.duplicate));
    assert.equal(new Set(fresh.map((r) => r.messageId)).size, fresh.length, 'one message each');
    assert.equal(byId.get('k')!.duplicate, true, 'the same id again is the same message');
  });

  test('message ids: id + 2^64, leading zeros and values past 2^63-1 are VALIDATION_FAILED everywhere', async () => {
    const alias = (BigInt(messageId) + 2n ** 64n).toString();
    const bad = [alias, `0${messageId}`, '9223372036854775808', '-1', '0', `+${messageId}`, `${messageId}.0`];
    for (const id of bad) {
      const checks = [
        await socket.request('message.read', { conversationId, upToMessageId: id }),
        await socket.request('history.get', { conversationId, before: id }),
        await socket.request('history.get', { conversationId, after: id }),
        await socket.request('message.info', { conversationId, messageId: id }),
        await socket.request('message.send', {
          conversationId,
          clientMessageId: `r${id}`,
          text: 'x',
          replyTo: id,
        }),
      ];
      for (const a of checks) assert.equal(a.error?.code, 'VALIDATION_FAILED', `${id}: ${JSON.stringify(a)}`);
    }
    const largest = await socket.request('history.get', { conversationId, before: '9223372036854775807' });
    assert.equal(
      largest.error?.code,
      'NOT_FOUND',
      `the largest id is an id (of no message): ${JSON.stringify(largest)}`,
    );
    const read = await socket.request('message.read', { conversationId, upToMessageId: messageId });
    assert.equal(read.type, 'result', 'the real id still works');
  });
});
