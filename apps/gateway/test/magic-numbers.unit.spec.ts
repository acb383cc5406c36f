import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sniff, typeMatches } from '../src/media/magic-numbers.js';

const ftyp = (brand: string): Buffer =>
  Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from(`ftyp${brand}\0\0\0\0`, 'latin1')]);

describe('magic numbers: the real type from the first bytes', () => {
  const cases: Array<[string, Buffer, string]> = [
    ['jpeg', Buffer.from([0xff, 0xd8, 0xff, 0xe1]), 'image/jpeg'],
    ['png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 'image/png'],
    ['gif', Buffer.from('GIF89a', 'latin1'), 'image/gif'],
    ['webp', Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1'), 'image/webp'],
    ['mp4', ftyp('isom'), 'video/mp4'],
    ['mov', ftyp('qt  '), 'video/quicktime'],
    ['3gp', ftyp('3gp5'), 'video/3gpp'],
    ['m4a', ftyp('M4A '), 'audio/mp4'],
    ['mkv', Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x01]), 'video/x-matroska'],
    ['avi', Buffer.from('RIFF\0\0\0\0AVI LIST', 'latin1'), 'video/x-msvideo'],
    ['ogg', Buffer.from('OggS\0', 'latin1'), 'audio/ogg'],
    ['mp3', Buffer.from('ID3\x04', 'latin1'), 'audio/mpeg'],
    ['amr', Buffer.from('#!AMR\n', 'latin1'), 'audio/amr'],
    ['pdf', Buffer.from('%PDF-1.7', 'latin1'), 'application/pdf'],
    ['docx', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14]), 'application/zip'],
    ['exe', Buffer.from('MZ\x90\0', 'latin1'), 'application/x-msdownload'],
  ];
  for (const [name, head, detected] of cases) {
    test(`${name} is ${detected}`, () => assert.equal(sniff(head)?.detected, detected));
  }

  test('a declared media type must be confirmed by the bytes', () => {
    assert.deepEqual(typeMatches('image/jpeg', Buffer.from([0xff, 0xd8, 0xff])), { ok: true });
    assert.deepEqual(typeMatches('image/png', Buffer.from([0xff, 0xd8, 0xff])), {
      ok: false,
      detected: 'image/jpeg',
    });
    assert.deepEqual(typeMatches('video/mp4', Buffer.from('plain text here')), {
      ok: false,
      detected: undefined,
    });
    assert.deepEqual(typeMatches('video/quicktime', ftyp('isom')), { ok: true });
  });

  test('a document of a type the table cannot confirm passes unless its bytes are an executable', () => {
    assert.deepEqual(typeMatches('text/plain', Buffer.from('hello')), { ok: true });
    assert.deepEqual(typeMatches('text/csv', Buffer.from('MZ\x90\0', 'latin1')), {
      ok: false,
      detected: 'application/x-msdownload',
    });
    assert.deepEqual(typeMatches('application/pdf', Buffer.from('hello')), {
      ok: false,
      detected: undefined,
    });
    assert.deepEqual(
      typeMatches(
        'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        Buffer.from([0x50, 0x4b, 0x03, 0x04]),
      ),
      { ok: true },
    );
  });
});
