/** Reads a byte range [start, end] (inclusive) of the stored object. */
export type RangeReader = (start: number, end: number) => Promise<Buffer>;

/** Containers of the ISO base media file format (MP4, QuickTime, 3GP), whose duration is in `moov/mvhd`. */
export const ISO_BMFF_TYPES: ReadonlySet<string> = new Set(['video/mp4', 'video/quicktime', 'video/3gpp']);

/** Top-level boxes walked at most, and the largest `moov` read: a header is small, a video is not. */
const MAX_BOXES = 64;
const MAX_MOOV_BYTES = 8 * 1024 * 1024;

interface Box {
  readonly type: string;
  /** Where the box's body starts, and its end (exclusive). */
  readonly body: number;
  readonly end: number;
}

/** The box header at `offset` of a buffer (or undefined when it does not fit). */
function boxAt(buf: Buffer, offset: number, limit: number): Box | undefined {
  if (offset + 8 > buf.length) return undefined;
  let size = buf.readUInt32BE(offset);
  const type = buf.toString('latin1', offset + 4, offset + 8);
  let header = 8;
  if (size === 1) {
    if (offset + 16 > buf.length) return undefined;
    size = Number(buf.readBigUInt64BE(offset + 8));
    header = 16;
  } else if (size === 0) size = limit - offset; // to the end
  if (size < header) return undefined;
  return { type, body: offset + header, end: offset + size };
}

/**
 * The duration in seconds an ISO BMFF file declares in its movie header (`moov/mvhd`: duration over
 * timescale), read with a few ranged reads, wherever `moov` sits (before or after the media data).
 * Undefined when the file has no readable header: then only the client's declared duration is judged.
 */
export async function isoBmffDurationSeconds(size: number, read: RangeReader): Promise<number | undefined> {
  let offset = 0;
  for (let n = 0; n < MAX_BOXES && offset + 8 <= size; n++) {
    const head = await read(offset, Math.min(size, offset + 16) - 1);
    const box = boxAt(head, 0, size - offset);
    if (!box) return undefined;
    const end = offset + (box.end - 0);
    if (box.type === 'moov') {
      const length = Math.min(end, size) - (offset + box.body);
      if (length <= 0 || length > MAX_MOOV_BYTES) return undefined;
      return mvhdDuration(await read(offset + box.body, offset + box.body + length - 1));
    }
    if (end <= offset) return undefined;
    offset = end;
  }
  return undefined;
}

/** The movie header's duration in seconds, from the body of a `moov` box. */
export function mvhdDuration(moov: Buffer): number | undefined {
  for (let at = 0; at + 8 <= moov.length;) {
    const box = boxAt(moov, at, moov.length);
    if (!box || box.end <= at) return undefined;
    if (box.type === 'mvhd') {
      const b = box.body;
      const version = moov.readUInt8(b);
      // version 0: 32-bit times; version 1: 64-bit creation/modification times and duration.
      if (version === 0 && b + 20 <= moov.length) {
        const timescale = moov.readUInt32BE(b + 12);
        return timescale > 0 ? moov.readUInt32BE(b + 16) / timescale : undefined;
      }
      if (version === 1 && b + 32 <= moov.length) {
        const timescale = moov.readUInt32BE(b + 20);
        return timescale > 0 ? Number(moov.readBigUInt64BE(b + 24)) / timescale : undefined;
      }
      return undefined;
    }
    at = box.end;
  }
  return undefined;
}
