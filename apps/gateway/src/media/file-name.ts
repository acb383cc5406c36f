import type { MediaKind } from '#libs/protocol';

/** A file name longer than this (in characters) is cut, keeping its extension. */
export const MAX_FILE_NAME_CHARS = 128;

/**
 * A sender's file name as other people's devices may show and save it: the last path segment only, no
 * control or format characters (a right-to-left override turns `gpj.exe` into `exe.jpg` on screen), no
 * leading dots (hidden files, `..`), at most MAX_FILE_NAME_CHARS. Undefined when nothing usable is left.
 */
export function sanitizeFileName(raw: string): string | undefined {
  const base = raw.normalize('NFC').split(/[/\\]/).pop() ?? '';
  const clean = base
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '')
    .replace(/\s+/g, ' ')
    .replace(/^[\s.]+|[\s.]+$/g, '');
  if (clean === '') return undefined;
  const chars = [...clean];
  if (chars.length <= MAX_FILE_NAME_CHARS) return clean;
  const dot = clean.lastIndexOf('.');
  const ext = dot > 0 ? [...clean.slice(dot)] : [];
  const keep = ext.length > 0 && ext.length <= 16 ? ext : [];
  return [...chars.slice(0, MAX_FILE_NAME_CHARS - keep.length), ...keep].join('');
}

const EXTENSIONS: Readonly<Record<string, string>> = {
  'application/pdf': 'pdf',
  'text/plain': 'txt',
  'text/csv': 'csv',
  'text/markdown': 'md',
  'application/rtf': 'rtf',
  'application/msword': 'doc',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.ms-powerpoint': 'ppt',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
  'application/vnd.oasis.opendocument.text': 'odt',
  'application/vnd.oasis.opendocument.spreadsheet': 'ods',
  'application/vnd.oasis.opendocument.presentation': 'odp',
  'application/epub+zip': 'epub',
  'application/zip': 'zip',
  'application/x-7z-compressed': '7z',
  'application/gzip': 'gz',
  'application/x-tar': 'tar',
  'application/vnd.rar': 'rar',
  'audio/mpeg': 'mp3',
  'audio/mp4': 'm4a',
  'video/quicktime': 'mov',
  'video/x-matroska': 'mkv',
  'video/x-msvideo': 'avi',
  'video/3gpp': '3gp',
};

/**
 * What the store answers a download with, whatever the object's metadata says: the verified type (bytes
 * the server could not check, end-to-end encrypted ones, as application/octet-stream), and for documents
 * `attachment` so a browser saves rather than renders. The name in it is neutral (`<mediaId>.<ext>`): the
 * sender's file name travels in the message, and a signed URL ends up in access logs.
 */
export function downloadResponse(media: {
  readonly mediaId: string;
  readonly kind: MediaKind;
  readonly contentType: string;
  readonly encrypted: boolean;
}): { contentType: string; contentDisposition?: string } {
  if (media.encrypted)
    return {
      contentType: 'application/octet-stream',
      contentDisposition: `attachment; filename="${media.mediaId}.bin"`,
    };
  if (media.kind !== 'document') return { contentType: media.contentType };
  const ext = EXTENSIONS[media.contentType] ?? media.contentType.split('/')[1]!.replace(/[^a-z0-9]/g, '');
  return {
    contentType: media.contentType,
    contentDisposition: `attachment; filename="${media.mediaId}.${ext}"`,
  };
}
