import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { imageDimensions } from '../../apps/gateway/src/profiles/image-dimensions.js';

function png(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(25);
  ihdr.writeUInt32BE(13, 0);
  ihdr.write('IHDR', 4, 'latin1');
  ihdr.writeUInt32BE(width, 8);
  ihdr.writeUInt32BE(height, 12);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ihdr]);
}

function jpeg(width: number, height: number): Buffer {
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, ...Buffer.from('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0]);
  const sof = Buffer.from([0xff, 0xc0, 0x00, 0x11, 8, height >> 8, height & 255, width >> 8, width & 255, 3]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof, Buffer.alloc(12)]);
}

describe('avatar image dimensions from the header', () => {
  test('PNG, JPEG (behind an APP0 segment) and WebP VP8X', () => {
    assert.deepEqual(imageDimensions('image/png', png(640, 480)), { width: 640, height: 480 });
    assert.deepEqual(imageDimensions('image/jpeg', jpeg(1200, 800)), { width: 1200, height: 800 });
    const vp8x = Buffer.alloc(30);
    vp8x.write('RIFF', 0, 'latin1');
    vp8x.write('WEBP', 8, 'latin1');
    vp8x.write('VP8X', 12, 'latin1');
    vp8x.writeUIntLE(299, 24, 3);
    vp8x.writeUIntLE(199, 27, 3);
    assert.deepEqual(imageDimensions('image/webp', vp8x), { width: 300, height: 200 });
  });

  test('a header that is not understood gives nothing', () => {
    assert.equal(imageDimensions('image/png', Buffer.from('not a png at all, not at all....')), undefined);
    assert.equal(
      imageDimensions('image/jpeg', Buffer.from([0xff, 0xd8, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0])),
      undefined,
    );
    assert.equal(imageDimensions('image/gif', png(1, 1)), undefined);
  });
});
