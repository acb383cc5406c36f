import type { MediaConfig } from '#libs/config';
import type { MediaKind } from '#libs/protocol';

/** Declared content types each kind accepts (the seeds: video only MP4, 3GP, MKV, AVI, MOV). */
export const ALLOWED_TYPES: Readonly<Record<Exclude<MediaKind, 'document'>, readonly string[]>> = {
  image: ['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/heic'],
  video: ['video/mp4', 'video/3gpp', 'video/x-matroska', 'video/x-msvideo', 'video/quicktime'],
  audio: ['audio/mpeg', 'audio/mp4', 'audio/aac', 'audio/ogg', 'audio/amr', 'audio/wav', 'audio/webm'],
  voice: ['audio/ogg', 'audio/mp4', 'audio/aac', 'audio/amr', 'audio/mpeg', 'audio/webm'],
};

/**
 * What a document may be: PDF, office formats, text, archives, audio and video. Anything else (HTML, SVG,
 * scripts, installers, programs) is refused: the file reaches other people's devices, where a careless
 * tap would render or run it. The bytes are checked against the declaration at completion.
 */
export const DOCUMENT_TYPES: readonly string[] = [
  'application/pdf',
  'text/plain',
  'text/csv',
  'text/markdown',
  'application/rtf',
  'application/msword',
  'application/vnd.ms-excel',
  'application/vnd.ms-powerpoint',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.presentation',
  'application/epub+zip',
  'application/zip',
  'application/x-7z-compressed',
  'application/gzip',
  'application/x-tar',
  'application/vnd.rar',
  ...new Set([...ALLOWED_TYPES.audio, ...ALLOWED_TYPES.video]),
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

export function allowedTypesOf(kind: MediaKind): readonly string[] {
  return kind === 'document' ? DOCUMENT_TYPES : ALLOWED_TYPES[kind];
}

export function typeAllowed(kind: MediaKind, contentType: string): boolean {
  return allowedTypesOf(kind).includes(contentType);
}
