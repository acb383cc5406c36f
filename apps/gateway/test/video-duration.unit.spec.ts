import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isoBmffDurationSeconds } from '../src/media/video-duration.js';
import { mp4Of } from '../../../test/media/mp4-file.js';

/** Ranged reads over an in-memory file, counted. */
function reader(file: Buffer): { read: (s: number, e: number) => Promise<Buffer>; reads: () => number } {
  let n = 0;
  return {
    read: (start, end) => {
      n++;
      return Promise.resolve(file.subarray(start, end + 1));
    },
    reads: () => n,
  };
}

describe('video duration from the ISO BMFF movie header', () => {
  test('moov after mdat, version 0 and version 1 headers', async () => {
    for (const version of [0, 1] as const) {
      const file = mp4Of(181.5, 50_000, version);
      const r = reader(file);
      assert.equal(await isoBmffDurationSeconds(file.length, r.read), 181.5);
      assert.ok(r.reads() <= 4, `a few ranged reads, not the file (${r.reads()})`);
    }
  });

  test('no movie header (random bytes after ftyp, a truncated box): undefined', async () => {
    const bogus = Buffer.concat([mp4Of(10).subarray(0, 32), randomBytes(4096)]);
    assert.equal(await isoBmffDurationSeconds(bogus.length, reader(bogus).read), undefined);
    const truncated = mp4Of(10).subarray(0, 100);
    assert.equal(await isoBmffDurationSeconds(truncated.length, reader(truncated).read), undefined);
  });
});
