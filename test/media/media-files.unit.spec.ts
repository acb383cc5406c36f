import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { programInside, zipProgramType } from '../../apps/gateway/src/media/executable-containers.js';
import { downloadResponse, sanitizeFileName } from '../../apps/gateway/src/media/file-name.js';
import { sniff, typeMatches } from '../../apps/gateway/src/media/magic-numbers.js';
import { APK, DOC, DOCX, JAR, MSI, ODT, zipOf } from './file-fixtures.js';

const readOf = (file: Buffer) => (start: number, end: number) =>
  Promise.resolve(file.subarray(start, end + 1));
const inside = (file: Buffer) =>
  programInside(sniff(file)!.detected, file.subarray(0, 512), file.length, readOf(file));

describe('what a document may be', () => {
  test('APK and JAR are told from DOCX and ODT by the names in the central directory', async () => {
    assert.equal(await inside(APK), 'application/vnd.android.package-archive');
    assert.equal(await inside(JAR), 'application/java-archive');
    assert.equal(await inside(DOCX), undefined);
    assert.equal(await inside(ODT), undefined, 'META-INF/manifest.xml of an ODT is no JAR manifest');
    assert.equal(zipProgramType(['lib/classes2.dex']), undefined);
    assert.equal(zipProgramType(['classes2.dex']), 'application/vnd.android.package-archive');
  });

  test('an MSI is told from a .doc by the root class id; a ZIP without a directory is refused', async () => {
    assert.equal(await inside(MSI), 'application/x-msi');
    assert.equal(await inside(DOC), undefined);
    const truncated = zipOf([['a.txt', 'hello']]).subarray(0, 40);
    assert.match((await inside(truncated)) ?? '', /no readable central directory/);
  });

  test('an AMR voice note is not a script; a script declared as text is refused', () => {
    assert.equal(typeMatches('audio/amr', Buffer.from('#!AMR\n')).ok, true);
    assert.deepEqual(typeMatches('text/plain', Buffer.from('#!/bin/sh\n')), {
      ok: false,
      detected: 'text/x-shellscript',
    });
  });
});

describe('file names and download headers', () => {
  test('a file name keeps its last segment, loses control and format characters, and is bounded', () => {
    assert.equal(sanitizeFileName('../../etc/passwd'), 'passwd');
    assert.equal(sanitizeFileName('C:\\Users\\me\\report.pdf'), 'report.pdf');
    assert.equal(sanitizeFileName('in\u202Egpj.exe'), 'ingpj.exe');
    assert.equal(sanitizeFileName('a\r\nb\u0000c.txt'), 'abc.txt');
    assert.equal(sanitizeFileName('  ..hidden.  '), 'hidden');
    assert.equal(sanitizeFileName('../..'), undefined);
    const long = sanitizeFileName(`${'é'.repeat(300)}.docx`)!;
    assert.equal([...long].length, 128);
    assert.ok(long.endsWith('.docx'));
  });

  test('documents and encrypted media download as attachments with a neutral name', () => {
    const doc = { mediaId: 'abc', kind: 'document', contentType: 'text/plain', encrypted: false } as const;
    assert.deepEqual(downloadResponse(doc), {
      contentType: 'text/plain',
      contentDisposition: 'attachment; filename="abc.txt"',
    });
    assert.deepEqual(downloadResponse({ ...doc, kind: 'image', contentType: 'image/png' }), {
      contentType: 'image/png',
    });
    assert.equal(downloadResponse({ ...doc, encrypted: true }).contentType, 'application/octet-stream');
  });
});
