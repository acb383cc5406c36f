/**
 * The real type of a file from its first bytes: a small table of magic numbers for the types the
 * allow-lists accept and for programs (file-type v22 needs Node 22; we run on 20). Answers the family of
 * declared types the bytes are consistent with (none for a program), or undefined when the table does not
 * know the bytes. ZIP and OLE containers need a look inside too (executable-containers.ts).
 */
export const SNIFF_BYTES = 512;

type Rule = {
  readonly detected: string;
  readonly matches: (b: Buffer) => boolean;
  readonly declared: readonly string[];
};

const ascii = (b: Buffer, at: number, s: string): boolean =>
  b.length >= at + s.length && b.toString('latin1', at, at + s.length) === s;
const bytes = (b: Buffer, at: number, seq: readonly number[]): boolean =>
  b.length >= at + seq.length && seq.every((v, i) => b[at + i] === v);
const brand = (b: Buffer): string => (ascii(b, 4, 'ftyp') ? b.toString('latin1', 8, 12) : '');

const RULES: readonly Rule[] = [
  { detected: 'image/jpeg', matches: (b) => bytes(b, 0, [0xff, 0xd8, 0xff]), declared: ['image/jpeg'] },
  {
    detected: 'image/png',
    matches: (b) => bytes(b, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    declared: ['image/png'],
  },
  {
    detected: 'image/gif',
    matches: (b) => ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a'),
    declared: ['image/gif'],
  },
  {
    detected: 'image/webp',
    matches: (b) => ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP'),
    declared: ['image/webp'],
  },
  {
    detected: 'image/heic',
    matches: (b) => ['heic', 'heix', 'mif1', 'msf1'].includes(brand(b)),
    declared: ['image/heic'],
  },
  {
    detected: 'video/quicktime',
    matches: (b) => brand(b) === 'qt  ',
    declared: ['video/quicktime', 'video/mp4'],
  },
  {
    detected: 'video/3gpp',
    matches: (b) => brand(b).startsWith('3g'),
    declared: ['video/3gpp', 'video/mp4', 'audio/mp4'],
  },
  {
    detected: 'audio/mp4',
    matches: (b) => ['M4A ', 'M4B '].includes(brand(b)),
    declared: ['audio/mp4', 'audio/aac', 'video/mp4'],
  },
  // Any other ISO base media file (isom, mp41, mp42, avc1, dash...): MP4 video or audio.
  {
    detected: 'video/mp4',
    matches: (b) => brand(b) !== '',
    declared: ['video/mp4', 'audio/mp4', 'video/quicktime', 'video/3gpp'],
  },
  {
    detected: 'video/x-matroska',
    matches: (b) => bytes(b, 0, [0x1a, 0x45, 0xdf, 0xa3]),
    declared: ['video/x-matroska', 'audio/webm', 'video/webm'],
  },
  {
    detected: 'video/x-msvideo',
    matches: (b) => ascii(b, 0, 'RIFF') && ascii(b, 8, 'AVI '),
    declared: ['video/x-msvideo'],
  },
  {
    detected: 'audio/wav',
    matches: (b) => ascii(b, 0, 'RIFF') && ascii(b, 8, 'WAVE'),
    declared: ['audio/wav'],
  },
  { detected: 'audio/ogg', matches: (b) => ascii(b, 0, 'OggS'), declared: ['audio/ogg'] },
  { detected: 'audio/amr', matches: (b) => ascii(b, 0, '#!AMR'), declared: ['audio/amr'] },
  // After AMR, whose magic starts alike: any other `#!` is a script for an interpreter.
  { detected: 'text/x-shellscript', matches: (b) => ascii(b, 0, '#!'), declared: [] },
  {
    detected: 'audio/mpeg',
    matches: (b) => ascii(b, 0, 'ID3') || (b[0] === 0xff && ((b[1] ?? 0) & 0xe6) === 0xe2),
    declared: ['audio/mpeg'],
  },
  {
    detected: 'audio/aac',
    matches: (b) => b[0] === 0xff && ((b[1] ?? 0) & 0xf6) === 0xf0,
    declared: ['audio/aac', 'audio/mpeg'],
  },
  { detected: 'application/pdf', matches: (b) => ascii(b, 0, '%PDF-'), declared: ['application/pdf'] },
  {
    detected: 'application/zip',
    matches: (b) => bytes(b, 0, [0x50, 0x4b, 0x03, 0x04]),
    declared: [
      'application/zip',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'application/vnd.openxmlformats-officedocument.presentationml.presentation',
      'application/vnd.oasis.opendocument.text',
      'application/vnd.oasis.opendocument.spreadsheet',
      'application/vnd.oasis.opendocument.presentation',
      'application/epub+zip',
    ],
  },
  {
    detected: 'application/x-cfb',
    matches: (b) => bytes(b, 0, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]),
    declared: ['application/msword', 'application/vnd.ms-excel', 'application/vnd.ms-powerpoint'],
  },
  { detected: 'application/rtf', matches: (b) => ascii(b, 0, '{\\rtf'), declared: ['application/rtf'] },
  {
    detected: 'application/x-7z-compressed',
    matches: (b) => bytes(b, 0, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]),
    declared: ['application/x-7z-compressed'],
  },
  { detected: 'application/gzip', matches: (b) => bytes(b, 0, [0x1f, 0x8b]), declared: ['application/gzip'] },
  {
    detected: 'application/vnd.rar',
    matches: (b) => ascii(b, 0, 'Rar!\x1a\x07'),
    declared: ['application/vnd.rar'],
  },
  { detected: 'application/x-tar', matches: (b) => ascii(b, 257, 'ustar'), declared: ['application/x-tar'] },
  {
    // Mach-O, 32 and 64 bit, both byte orders, and universal (CAFEBABE, also a Java class file).
    detected: 'application/x-mach-binary',
    matches: (b) =>
      [
        [0xfe, 0xed, 0xfa, 0xce],
        [0xfe, 0xed, 0xfa, 0xcf],
        [0xce, 0xfa, 0xed, 0xfe],
        [0xcf, 0xfa, 0xed, 0xfe],
        [0xca, 0xfe, 0xba, 0xbe],
      ].some((m) => bytes(b, 0, m)),
    declared: [],
  },
  { detected: 'application/x-dex', matches: (b) => ascii(b, 0, 'dex\n'), declared: [] },
  { detected: 'application/x-msdownload', matches: (b) => ascii(b, 0, 'MZ'), declared: [] },
  {
    detected: 'application/x-executable',
    matches: (b) => bytes(b, 0, [0x7f, 0x45, 0x4c, 0x46]),
    declared: [],
  },
];

/** Every type some rule of the table can confirm: such a declaration must be backed by its bytes. */
const CHECKABLE = new Set(RULES.flatMap((r) => r.declared));

export function sniff(head: Buffer): { detected: string; declared: readonly string[] } | undefined {
  const rule = RULES.find((r) => r.matches(head));
  return rule ? { detected: rule.detected, declared: rule.declared } : undefined;
}

/**
 * Whether the first bytes agree with the declared type. Media kinds need a confirmed match; a document of
 * a type the table cannot confirm (text/plain, csv, ...) passes unless its bytes are an executable.
 */
export function typeMatches(
  declared: string,
  head: Buffer,
): { ok: true } | { ok: false; detected: string | undefined } {
  const found = sniff(head);
  if (found?.declared.includes(declared)) return { ok: true };
  if (!found && !CHECKABLE.has(declared)) return { ok: true };
  if (found && found.declared.length > 0 && !CHECKABLE.has(declared)) return { ok: true };
  return { ok: false, detected: found?.detected };
}
