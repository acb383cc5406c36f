/** Width and height of an image read from its first bytes, or undefined when the header is not understood. */
export interface Dimensions {
  readonly width: number;
  readonly height: number;
}

/** Enough bytes to reach a JPEG's frame header behind the usual EXIF and ICC segments. */
export const DIMENSION_SNIFF_BYTES = 256 * 1024;

export function imageDimensions(contentType: string, head: Buffer): Dimensions | undefined {
  switch (contentType) {
    case 'image/png':
      return png(head);
    case 'image/jpeg':
      return jpeg(head);
    case 'image/webp':
      return webp(head);
    default:
      return undefined;
  }
}

// PNG: the IHDR chunk comes first, width and height as 32-bit big-endian at bytes 16 and 20.
function png(b: Buffer): Dimensions | undefined {
  if (b.length < 24 || b.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

// JPEG: walk the segments to the first start-of-frame marker (SOF0-SOF15 but DHT, JPG and DAC).
function jpeg(b: Buffer): Dimensions | undefined {
  let at = 2;
  while (at + 9 < b.length) {
    if (b[at] !== 0xff) return undefined;
    const marker = b[at + 1]!;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    const length = b.readUInt16BE(at + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
      return { height: b.readUInt16BE(at + 5), width: b.readUInt16BE(at + 7) };
    at += 2 + length;
  }
  return undefined;
}

// WebP: RIFF container; lossy (VP8), lossless (VP8L) and extended (VP8X) headers each store the size.
function webp(b: Buffer): Dimensions | undefined {
  if (b.length < 30 || b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WEBP')
    return undefined;
  const chunk = b.toString('latin1', 12, 16);
  if (chunk === 'VP8 ') return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  if (chunk === 'VP8L') {
    const bits = b.readUInt32LE(21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') return { width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1 };
  return undefined;
}
