import { IsInt, Max, Min } from 'class-validator';
import { ToInt } from './transforms.js';

const MB = 1024 * 1024;

/**
 * Media limits and lifetimes. Defaults follow the seeds: video at most 16 MB, documents and other files
 * at most 100 MB. Read by the gateway (upload slots, download URLs) and the projector (the sweeper).
 */
export class MediaConfig {
  @ToInt()
  @IsInt({ message: 'the largest image upload in bytes' })
  @Min(1, { message: 'at least 1' })
  MEDIA_MAX_IMAGE_BYTES = 16 * MB;

  @ToInt()
  @IsInt({ message: 'the largest video upload in bytes' })
  @Min(1, { message: 'at least 1' })
  MEDIA_MAX_VIDEO_BYTES = 16 * MB;

  @ToInt()
  @IsInt({ message: 'the largest audio or voice-note upload in bytes' })
  @Min(1, { message: 'at least 1' })
  MEDIA_MAX_AUDIO_BYTES = 16 * MB;

  @ToInt()
  @IsInt({ message: 'the largest document (any other file) in bytes' })
  @Min(1, { message: 'at least 1' })
  @Max(5 * 1024 * MB, { message: 'at most 5 GiB' })
  MEDIA_MAX_DOCUMENT_BYTES = 100 * MB;

  /** Uploads above this size go through a multipart upload; it is also the part size. */
  @ToInt()
  @IsInt({ message: 'the multipart part size in bytes' })
  @Min(5 * MB, { message: 'at least 5 MiB (the S3 minimum part size)' })
  MEDIA_MULTIPART_PART_BYTES = 16 * MB;

  @ToInt()
  @IsInt({ message: 'seconds a presigned upload URL stays valid' })
  @Min(1, { message: 'at least 1 second' })
  @Max(3600, { message: 'at most 3600 seconds' })
  MEDIA_UPLOAD_URL_TTL_SECONDS = 300;

  @ToInt()
  @IsInt({ message: 'seconds a presigned download URL stays valid' })
  @Min(1, { message: 'at least 1 second' })
  @Max(3600, { message: 'at most 3600 seconds' })
  MEDIA_DOWNLOAD_URL_TTL_SECONDS = 300;

  /**
   * The download URL of a view-once open: one fetch window, not minutes (a presigned URL counts from its
   * signing second, so below 3 s a prompt fetch can already be late).
   */
  @ToInt()
  @IsInt({ message: 'seconds the download URL of a view-once open stays valid' })
  @Min(1, { message: 'at least 1 second' })
  @Max(60, { message: 'at most 60 seconds: a view-once URL is for one fetch' })
  MEDIA_VIEW_ONCE_URL_TTL_SECONDS = 10;

  /**
   * The longest video (seconds): a send declaring more is refused, and so is completing an upload whose
   * container header (MP4, QuickTime, 3GP, when not end-to-end encrypted) says more. The seeds: 3 minutes.
   */
  @ToInt()
  @IsInt({ message: 'the longest video in seconds' })
  @Min(1, { message: 'at least 1 second' })
  MEDIA_MAX_VIDEO_SECONDS = 180;

  /** An upload no message referenced after this long is deleted by the sweeper. */
  @ToInt()
  @IsInt({ message: 'seconds before an unreferenced upload is deleted' })
  @Min(1, { message: 'at least 1 second' })
  MEDIA_ORPHAN_TTL_SECONDS = 86_400;

  @ToInt()
  @IsInt({ message: 'milliseconds between two runs of the media sweeper' })
  @Min(100, { message: 'at least 100 ms' })
  MEDIA_SWEEP_INTERVAL_MS = 300_000;
}
