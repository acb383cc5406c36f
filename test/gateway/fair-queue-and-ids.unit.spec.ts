import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isClientMessageId, isMessageId } from '#libs/protocol';
import { FairQueue } from '../../apps/gateway/src/ws/fair-queue.js';
import { frameCost, MAX_FRAME_COST } from '../../apps/gateway/src/ws/frame-costs.js';

describe('FairQueue: per-socket order, sockets take turns', () => {
  test('a socket with a backlog gets one turn per round; a socket with one frame is served next', async () => {
    const queue = new FairQueue<string>(1, 100);
    const order: string[] = [];
    let all!: () => void;
    const ran = new Promise<void>((r) => (all = r));
    const task = (label: string) => async (): Promise<void> => {
      order.push(label);
      if (order.length === 6) all();
      await new Promise((r) => setImmediate(r));
    };
    for (let i = 0; i < 5; i++) queue.push('flood', task(`flood-${i}`));
    queue.push('pair', task('pair-0'));
    await ran;
    assert.deepEqual(order, ['flood-0', 'pair-0', 'flood-1', 'flood-2', 'flood-3', 'flood-4']);
  });

  test('a socket runs one frame at a time, in order, and beyond its maximum frames are refused', async () => {
    const queue = new FairQueue<string>(10, 3);
    let running = 0;
    let most = 0;
    const done: number[] = [];
    let four!: () => void;
    const allDone = new Promise<void>((r) => (four = r));
    const accepted = Array.from({ length: 5 }, (_, i) =>
      queue.push('s', async () => {
        most = Math.max(most, ++running);
        // Yield to the event loop mid-frame: a second frame of the socket would start here if allowed.
        await new Promise((r) => setImmediate(r));
        running--;
        done.push(i);
        if (done.length === 4) four();
      }),
    );
    assert.deepEqual(accepted, [true, true, true, true, false], 'one running, three waiting, one refused');
    await allDone;
    assert.equal(most, 1);
    assert.deepEqual(done, [0, 1, 2, 3]);
  });
});

describe('ids a client sends', () => {
  test('message ids: canonical decimal in the signed 64-bit range only', () => {
    for (const ok of ['1', '42', '9223372036854775807']) assert.ok(isMessageId(ok), ok);
    const real = '7390000000000000001';
    for (const bad of [
      (BigInt(real) + 2n ** 64n).toString(),
      '9223372036854775808',
      `0${real}`,
      '0',
      '-1',
      '+1',
      '1.0',
      ' 1',
      '',
      1 as unknown as string,
    ])
      assert.ok(!isMessageId(bad), String(bad));
  });

  test('clientMessageIds: printable, no control characters, no whitespace at the ends', () => {
    for (const ok of ['k', 'a b', 'héllo', 'x'.repeat(64), '😀']) assert.ok(isClientMessageId(ok), ok);
    for (const bad of ['', 'k ', ' k', 'k\t', 'a\r\nb', 'a\u0000', '\u200bk', 'k\u2028', 'x'.repeat(65)])
      assert.ok(!isClientMessageId(bad), JSON.stringify(bad));
  });

  test('frame costs: a sync or a 500-row list costs more than a ping, and none more than the maximum', () => {
    assert.equal(frameCost('ping', {}), 1);
    assert.ok(frameCost('sync', {}) >= 20);
    assert.ok(frameCost('conversations.list', { limit: 500 }) > frameCost('conversations.list', {}));
    assert.ok(frameCost('group.create', { members: Array(100_000).fill('u') }) <= MAX_FRAME_COST);
  });
});
