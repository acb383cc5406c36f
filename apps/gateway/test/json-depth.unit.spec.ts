import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nestsDeeperThan } from '../src/http/json-depth.js';

/** Nesting of a parsed value: a scalar is 0, each object or array adds one. */
function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

describe('the JSON depth limit, read from the bytes', () => {
  test('agrees with the depth of the parsed value, strings with brackets, quotes and escapes included', () => {
    const text = fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a', 'é', '\n') });
    const value = fc.letrec<{ v: unknown }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        text,
        fc.integer(),
        fc.constant(null),
        fc.array(tie('v'), { maxLength: 3 }),
        fc.dictionary(text, tie('v'), { maxKeys: 3 }),
      ),
    })).v;
    fc.assert(
      fc.property(value, fc.integer({ min: 0, max: 8 }), (v, max) => {
        const bytes = Buffer.from(JSON.stringify(v) ?? 'null');
        assert.equal(nestsDeeperThan(bytes, max), depthOf(v) > max);
      }),
      { numRuns: 2000 },
    );
  });

  test('5,000 levels are refused at once, and the default limit admits a normal frame', () => {
    assert.equal(nestsDeeperThan(Buffer.from('['.repeat(5000) + ']'.repeat(5000))), true);
    const frame = { type: 'message.send', id: 'r1', data: { media: { mediaId: 'm', caption: '{[{[' } } };
    assert.equal(nestsDeeperThan(Buffer.from(JSON.stringify(frame))), false);
  });
});
