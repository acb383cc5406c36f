import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  compareSnowflakes,
  MAX_WORKER_ID,
  SNOWFLAKE_EPOCH_MS,
  SnowflakeGenerator,
  snowflakeTime,
} from '#libs/domain';

describe('snowflake ids', () => {
  test('ids carry their millisecond and sort by time', () => {
    let now = SNOWFLAKE_EPOCH_MS + 1_000;
    const g = new SnowflakeGenerator(5, () => now);
    const a = g.nextString();
    now += 10;
    const b = g.nextString();
    assert.equal(snowflakeTime(a), SNOWFLAKE_EPOCH_MS + 1_000);
    assert.equal(compareSnowflakes(a, b), -1);
  });

  test('whatever the clock does (steps back, stands still), ids strictly increase and never repeat', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -5_000, max: 50 }), { minLength: 1, maxLength: 6_000 }),
        (steps) => {
          let now = SNOWFLAKE_EPOCH_MS + 10_000_000;
          const g = new SnowflakeGenerator(MAX_WORKER_ID, () => now);
          let prev = -1n;
          for (const step of steps) {
            now += step;
            const id = g.next();
            assert.ok(id > prev, `${id} after ${prev}`);
            prev = id;
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  test('more than 4096 ids in one millisecond borrow the next millisecond instead of repeating', () => {
    const g = new SnowflakeGenerator(1, () => SNOWFLAKE_EPOCH_MS + 5);
    const ids = Array.from({ length: 10_000 }, () => g.next());
    assert.equal(new Set(ids).size, ids.length);
  });

  test('two workers never mint the same id in the same millisecond', () => {
    const a = new SnowflakeGenerator(1, () => SNOWFLAKE_EPOCH_MS + 7);
    const b = new SnowflakeGenerator(2, () => SNOWFLAKE_EPOCH_MS + 7);
    const ids = new Set([
      ...Array.from({ length: 100 }, () => a.nextString()),
      ...Array.from({ length: 100 }, () => b.nextString()),
    ]);
    assert.equal(ids.size, 200);
  });

  test('a worker id outside 0..1023 is refused', () => {
    assert.throws(() => new SnowflakeGenerator(1024, () => 0), RangeError);
    assert.throws(() => new SnowflakeGenerator(-1, () => 0), RangeError);
  });
});
