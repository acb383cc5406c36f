import { createHash } from 'node:crypto';
import { stagingKeyOf, type MediaRow, type MediaStore } from '#libs/read-models';
import type { ObjectStore } from '#libs/s3';
import { ApiError } from '../http/api-error.js';
import { programInside } from './executable-containers.js';
import { sniff, SNIFF_BYTES, typeMatches } from './magic-numbers.js';
import { ISO_BMFF_TYPES, isoBmffDurationSeconds } from './video-duration.js';
import type { UploadedPartDto } from './media.dto.js';

/**
 * Completion's work on the bytes: moves them from the staging key the device wrote to the key that is
 * served, then checks size, SHA-256 and real type on that copy. A refusal deletes both objects and spends
 * the slot (the media row is marked deleted).
 */
export class UploadVerifier {
  constructor(
    private readonly objects: ObjectStore,
    private readonly media: MediaStore,
    /** The longest video, in seconds, its container header may declare. */
    private readonly maxVideoSeconds: number = Infinity,
  ) {}

  /**
   * Moves the bytes out of the device's reach first, then verifies the copy: a PUT to the upload URL after
   * this point (it stays valid for its whole life) lands on the staging key, which nothing serves, and the
   * caller's claim keeps a second completion from copying it over. What an interrupted completion left
   * (an assembled multipart object, a copy) is taken up as it stands.
   */
  async copyAndVerify(row: MediaRow, parts: readonly UploadedPartDto[] | undefined): Promise<void> {
    const staging = stagingKeyOf(row.objectKey);
    if (row.uploadId) {
      if (!parts)
        throw new ApiError('VALIDATION_FAILED', 'parts: a multipart upload completes with its parts');
      try {
        await this.objects.completeMultipart(staging, row.uploadId, parts);
      } catch (err) {
        const assembled = (await this.objects.head(staging)) ?? (await this.objects.head(row.objectKey));
        if (!assembled)
          throw new ApiError('MEDIA_NOT_READY', `the parts could not be assembled: ${(err as Error).name}`);
      }
    }
    if (await this.objects.head(staging)) {
      const servedType = row.encrypted ? 'application/octet-stream' : row.contentType;
      await this.objects.copy(staging, row.objectKey, servedType);
      await this.objects.delete(staging);
    }
    const head = await this.objects.head(row.objectKey);
    if (!head) throw new ApiError('MEDIA_NOT_READY', 'nothing was uploaded to this slot yet');
    if (head.size !== row.size) {
      await this.refuse(row);
      throw new ApiError('MEDIA_CHECKSUM_MISMATCH', `declared ${row.size} bytes; ${head.size} were stored`, {
        declaredSize: row.size,
        storedSize: head.size,
      });
    }
    const { sha256, first } = await this.digest(row.objectKey);
    if (sha256 !== row.sha256) {
      await this.refuse(row);
      throw new ApiError('MEDIA_CHECKSUM_MISMATCH', 'the stored bytes do not have the declared SHA-256', {
        declared: row.sha256,
        stored: sha256,
      });
    }
    if (!row.encrypted) await this.checkType(row, first);
    if (!row.encrypted && row.kind === 'video') await this.checkDuration(row, first);
  }

  /** A video whose container header declares more than the cap is refused (others go by what is declared). */
  private async checkDuration(row: MediaRow, first: Buffer): Promise<void> {
    const detected = sniff(first)?.detected;
    if (!detected || !ISO_BMFF_TYPES.has(detected)) return;
    const seconds = await isoBmffDurationSeconds(row.size, (start, end) =>
      this.objects.readRange(row.objectKey, start, end),
    );
    if (seconds === undefined || seconds <= this.maxVideoSeconds) return;
    await this.refuse(row);
    throw new ApiError(
      'MEDIA_TOO_LONG',
      `the video is ${Math.ceil(seconds)} s; the limit is ${this.maxVideoSeconds} s`,
      {
        limit: this.maxVideoSeconds,
        seconds,
      },
    );
  }

  /** The bytes must be what was declared, and no program, also not one inside a ZIP or OLE container. */
  private async checkType(row: MediaRow, first: Buffer): Promise<void> {
    const match = typeMatches(row.contentType, first);
    const detected = sniff(first)?.detected;
    const program =
      match.ok && detected
        ? await programInside(detected, first, row.size, (start, end) =>
            this.objects.readRange(row.objectKey, start, end),
          )
        : undefined;
    if (match.ok && !program) return;
    await this.refuse(row);
    const found = program ?? (match.ok ? undefined : match.detected);
    throw new ApiError(
      'MEDIA_TYPE_NOT_ALLOWED',
      `declared ${row.contentType}, but the bytes are ${found ?? 'of an unknown type'}`,
      { declared: row.contentType, detected: found ?? null },
    );
  }

  /** Streams the object through SHA-256, keeping its first bytes for the type check. */
  private async digest(key: string): Promise<{ sha256: string; first: Buffer }> {
    const hash = createHash('sha256');
    const head: Buffer[] = [];
    let kept = 0;
    for await (const chunk of await this.objects.read(key)) {
      const buf = chunk as Buffer;
      hash.update(buf);
      if (kept < SNIFF_BYTES) {
        head.push(buf.subarray(0, SNIFF_BYTES - kept));
        kept += Math.min(buf.length, SNIFF_BYTES - kept);
      }
    }
    return { sha256: hash.digest('hex'), first: Buffer.concat(head) };
  }

  private async refuse(row: MediaRow): Promise<void> {
    await this.objects.delete(stagingKeyOf(row.objectKey));
    await this.objects.delete(row.objectKey);
    await this.media.markDeleted(row.mediaId);
  }
}
