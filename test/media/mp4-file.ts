import { randomBytes } from 'node:crypto';

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

const box = (type: string, body: Buffer): Buffer =>
  Buffer.concat([u32(8 + body.length), Buffer.from(type, 'latin1'), body]);

/**
 * A minimal MP4 (ISO BMFF) whose movie header declares `seconds`: `ftyp`, then `mdat` (random bytes),
 * then `moov/mvhd` at the end, as a camera writes it before "fast start" moves it to the front.
 */
export function mp4Of(seconds: number, mediaBytes = 2048, version: 0 | 1 = 0): Buffer {
  const ftyp = box('ftyp', Buffer.from('isom\0\0\x02\0isomiso2', 'latin1'));
  const mdat = box('mdat', randomBytes(mediaBytes));
  const timescale = 600;
  const mvhd = Buffer.alloc(version === 0 ? 100 : 112);
  mvhd.writeUInt8(version, 0);
  if (version === 0) {
    mvhd.writeUInt32BE(timescale, 12);
    mvhd.writeUInt32BE(Math.round(seconds * timescale), 16);
  } else {
    mvhd.writeUInt32BE(timescale, 20);
    mvhd.writeBigUInt64BE(BigInt(Math.round(seconds * timescale)), 24);
  }
  const moov = box('moov', Buffer.concat([box('mvhd', mvhd), box('trak', randomBytes(64))]));
  return Buffer.concat([ftyp, mdat, moov]);
}
