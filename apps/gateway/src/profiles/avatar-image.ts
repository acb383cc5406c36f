import sharp from 'sharp';

/** The stored avatar: a square of at most `side` pixels, in the uploaded format, with no metadata. */
export interface SquareAvatar {
  readonly bytes: Buffer;
  readonly side: number;
}

/** Thrown when the bytes do not decode as the image their header announced. */
export class UndecodableImageError extends Error {}

/**
 * The server's avatar rule: turned upright (EXIF orientation), cropped to the centred square of its
 * shorter side, scaled down to at most `maxSide` (never up), re-encoded in its own format without EXIF,
 * GPS or ICC metadata. `maxInputSide` bounds what is decoded at all (the header was checked before), so
 * a small file announcing a huge image cannot make the gateway allocate gigabytes.
 */
export async function squareAvatar(
  input: Buffer,
  contentType: 'image/jpeg' | 'image/png' | 'image/webp',
  maxSide: number,
  maxInputSide: number,
): Promise<SquareAvatar> {
  try {
    const image = sharp(input, { limitInputPixels: maxInputSide * maxInputSide, failOn: 'error' }).rotate();
    const meta = await image.metadata();
    // After rotate() the stored width/height may be swapped; the square's side is the shorter one anyway.
    const shorter = Math.min(meta.width, meta.height);
    const side = Math.max(1, Math.min(maxSide, shorter));
    const square = image.resize({ width: side, height: side, fit: 'cover', position: 'centre' });
    const encoded =
      contentType === 'image/jpeg'
        ? square.jpeg({ quality: 85 })
        : contentType === 'image/png'
          ? square.png({ compressionLevel: 9 })
          : square.webp({ quality: 85 });
    return { bytes: await encoded.toBuffer(), side };
  } catch (err) {
    throw new UndecodableImageError(err instanceof Error ? err.message : String(err));
  }
}
