import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createRedis } from '#libs/redis';
import { ChatStack } from '../support/chat-stack.js';
import { signUp, type TestDevice } from '../support/chat-users.js';
import { eventually } from '../support/wait.js';

/** The worker id encoded in a snowflake message id (10 bits above the 12-bit sequence). */
const workerOf = (messageId: string): number => Number((BigInt(messageId) >> 12n) & 1023n);

/** The worker ids the gateway logged as leased, in order. */
const leasedIds = (stack: ChatStack): number[] =>
  [...stack.gateways[0]!.output.join('').matchAll(/"workerId":(\d+)[^\n]*snowflake worker id leased/g)].map(
    (m) => Number(m[1]),
  );

let stack: ChatStack;
let alice: TestDevice;
let conversationId: string;

describe('the snowflake worker-id lease survives Redis losing it (real gateway, Redis)', () => {
  before(async () => {
    stack = await ChatStack.start();
    const [a, bob] = [await signUp(stack), await signUp(stack)];
    alice = a;
    await alice.connect();
    conversationId = (await alice.chat.openDirect(bob.userId)).conversationId;
  });
  after(async () => {
    await stack.stop();
  });

  test('a worker id taken by another process is given up for a new one; ids go on under the new one', async () => {
    const [first] = leasedIds(stack);
    assert.ok(first !== undefined, 'the gateway logged its worker id');
    assert.equal(workerOf((await alice.chat.send(conversationId, 'before')).messageId), first);
    // As after Redis restarted empty and another gateway leased this id meanwhile.
    const redis = createRedis(stack.env.redis, 'worker-id-test');
    try {
      if (redis.status !== 'ready') await once(redis, 'ready');
      await redis.set(`worker-id:${first}`, 'another-process', 'PX', 120_000);
      // The gateway renews every 10 s: it finds the id taken and leases another.
      await eventually(async () => leasedIds(stack).length === 2, 25_000, 'a new worker id leased');
      const second = leasedIds(stack)[1]!;
      assert.notEqual(second, first);
      assert.equal(workerOf((await alice.chat.send(conversationId, 'after')).messageId), second);
      assert.equal(await redis.get(`worker-id:${first}`), 'another-process', 'the other holder keeps its id');
    } finally {
      await redis.del(`worker-id:${first}`);
      redis.disconnect();
    }
  });
});
