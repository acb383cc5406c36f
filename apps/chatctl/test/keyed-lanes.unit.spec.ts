import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises'; // timer under test: tasks' durations
import { KeyedLanes } from '../src/commands/rebuild/keyed-lanes.js';

describe('KeyedLanes (how a rebuild applies conversations)', () => {
  test('one key runs in order, different keys at once, never more than the limit', async () => {
    const lanes = new KeyedLanes(4);
    const done: string[] = [];
    let running = 0;
    let most = 0;
    for (let i = 0; i < 12; i++) {
      const key = `c${i % 3}`;
      await lanes.run(key, async () => {
        running++;
        most = Math.max(most, running);
        // Earlier tasks of a key take longer: order must come from the lane, not from timing.
        await sleep(30 - i * 2); // timer under test
        done.push(`${key}:${i}`);
        running--;
      });
    }
    await lanes.drain();
    for (const key of ['c0', 'c1', 'c2'])
      assert.deepEqual(
        done.filter((d) => d.startsWith(`${key}:`)),
        [0, 1, 2, 3].map((k) => `${key}:${k * 3 + Number(key[1])}`),
      );
    assert.ok(most > 1, 'keys ran concurrently');
    assert.ok(most <= 4, `at most 4 at once (saw ${most})`);
  });

  test('a task queued after another key waits for what that key had queued', async () => {
    const lanes = new KeyedLanes(16);
    const done: string[] = [];
    await lanes.run('group', async () => {
      await sleep(50); // timer under test: the slow task the next must wait for
      done.push('group message');
    });
    await lanes.run('direct', () => Promise.resolve(void done.push('private reply')), 'group');
    await lanes.drain();
    assert.deepEqual(done, ['group message', 'private reply']);
  });

  test('the first failure stops the rest and is thrown by drain', async () => {
    const lanes = new KeyedLanes(8);
    const done: number[] = [];
    await lanes.run('a', () => Promise.reject(new Error('boom')));
    await lanes.run('a', () => Promise.resolve(void done.push(1)));
    await assert.rejects(lanes.drain(), /boom/);
    assert.deepEqual(done, []);
  });
});
