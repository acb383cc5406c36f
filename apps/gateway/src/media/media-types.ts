import type { MediaConfig } from '#libs/config';
import type { MediaKind } from '#libs/protocol';

/** Declared content types each kind accepts (the seeds: video only MP4, 3GP, MKV, AVI, MOV). */
export const ALLOWED_TYPES: Readonly<Record<Exclude<MediaKind, 'document'>, readonly string[]>> = {
  image: ['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/heic'],
  video: ['video/mp4', 'video/3gpp', 'video/x-matroska', 'video/x-msvideo', 'video/quicktime'],
  audio: ['audio/mpeg', 'audio/mp4', 'audio/aac', 'audio/ogg', 'audio/amr', 'audio/wav', 'audio/webm'],
  voice: ['audio/ogg', 'audio/mp4', 'audio/aac', 'audio/amr', 'audio/mpeg', 'audio/webm'],
};

/** Documents may be any file except what a careless tap would run. */
export const DENIED_DOCUMENT_TYPES: readonly string[] = [
  'application/x-msdownload',
  'application/x-msdos-program',
  'application/x-executable',
  'application/x-sharedlib',
  'application/x-sh',
  'application/x-bat',
  'application/vnd.microsoft.portable-executable',
];

export function maxBytes(kind: MediaKind, config: Readonly<MediaConfig>): number {
  switch (kind) {
    case 'image':
      return config.MEDIA_MAX_IMAGE_BYTES;
    case 'video':
      return config.MEDIA_MAX_VIDEO_BYTES;
    case 'audio':
    case 'voice':
      return config.MEDIA_MAX_AUDIO_BYTES;
    case 'document':
      return config.MEDIA_MAX_DOCUMENT_BYTES;
    default: {
      const _exhaustive: never = kind;
      return _exhaustive;
    }
  }
}

export function typeAllowed(kind: MediaKind, contentType: string): boolean {
  if (kind === 'document') return !DENIED_DOCUMENT_TYPES.includes(contentType);
  return ALLOWED_TYPES[kind].includes(contentType);
}

export function allowedTypesOf(kind: MediaKind): readonly string[] | { anyExcept: readonly string[] } {
  return kind === 'document' ? { anyExcept: DENIED_DOCUMENT_TYPES } : ALLOWED_TYPES[kind];
}
