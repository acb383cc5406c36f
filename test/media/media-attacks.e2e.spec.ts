import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MediaKind } from '#libs/protocol';
import { ChatStack } from '../support/chat-stack.js';
import { signUp, type TestDevice } from '../support/chat-users.js';
import { APK, DOC, DOCX, ELF, HTML, JAR, MACH_O, MSI, ODT, SCRIPT } from './file-fixtures.js';
import { fileOf, httpOf, putTo, refused, sha256, upload, sendMediaTo } from './media-helpers.js';
import { outlast } from '../support/wait.js';

let stack: ChatStack;
let alice: TestDevice, bob: TestDevice;
let aliceBob: string;

/** Sends media from alice to bob; answers the message as bob got it. */
const sendToBob = (mediaId: string, extra: { viewOnce?: boolean; fileName?: string } = {}) =>
  sendMediaTo(alice, bob, aliceBob, mediaId, extra);

async function download(mediaId: string, messageId: string) {
  const link = await httpOf(stack).mediaDownloadUrl(bob.tokens.accessToken, mediaId, aliceBob, messageId);
  const res = await fetch(link.url);
  const body = Buffer.from(await res.arrayBuffer());
  return { ...link, status: res.status, headers: res.headers, body };
}

/** Uploads as alice and asks for completion: the refusal it gets, or undefined when it completed. */
async function completion(kind: MediaKind, contentType: string, body: Buffer): Promise<string | undefined> {
  const http = httpOf(stack);
  const token = alice.tokens.accessToken;
  const slot = await http.createUpload(token, { kind, contentType, size: body.length, sha256: sha256(body) });
  assert.equal(await putTo(slot, body), 200);
  return http.completeUpload(token, slot.mediaId).then(
    () => undefined,
    (err: { code?: string; details?: { detected?: string } }) => `${err.code}: ${err.details?.detected}`,
  );
}

describe('media attacks: swapped bytes, programs as documents, inline HTML, long view-once URLs', () => {
  before(async () => {
    stack = await ChatStack.start({ overrides: { MEDIA_VIEW_ONCE_URL_TTL_SECONDS: '3' } });
    [alice, bob] = [await signUp(stack), await signUp(stack)];
    await Promise.all([alice.connect(), bob.connect()]);
    ({ conversationId: aliceBob } = await alice.chat.openDirect(bob.userId));
  });
  after(async () => {
    await Promise.all([alice, bob].map((d) => d.disconnect()));
    await stack.stop();
  });

  test('a second PUT to the upload URL after completion does not change what recipients download', async () => {
    const http = httpOf(stack);
    const token = alice.tokens.accessToken;
    const good = fileOf('image/jpeg', 5000);
    const evil = fileOf('image/jpeg', 5000);
    const slot = await http.createUpload(token, {
      kind: 'image',
      contentType: 'image/jpeg',
      size: good.length,
      sha256: sha256(good),
    });
    assert.equal(await putTo(slot, good), 200);
    await http.completeUpload(token, slot.mediaId);
    const message = await sendToBob(slot.mediaId);
    await putTo(slot, evil); // the URL is still within its life
    await http.completeUpload(token, slot.mediaId);
    const got = await download(slot.mediaId, message.messageId);
    assert.equal(got.status, 200);
    assert.equal(sha256(got.body), sha256(good), 'bob gets the verified bytes');
  });

  test('programs are refused as documents, under their own type or disguised; documents pass', async () => {
    const http = httpOf(stack);
    for (const contentType of [
      'application/x-sh',
      'application/vnd.android.package-archive',
      'application/java-archive',
      'application/x-mach-binary',
      'application/x-msi',
      'application/octet-stream',
      'text/html',
      'image/svg+xml',
    ]) {
      await refused(
        http.createUpload(alice.tokens.accessToken, {
          kind: 'document',
          contentType,
          size: 100,
          sha256: 'a'.repeat(64),
        }),
        'MEDIA_TYPE_NOT_ALLOWED',
      );
    }
    assert.equal(
      await completion('document', 'text/plain', SCRIPT),
      'MEDIA_TYPE_NOT_ALLOWED: text/x-shellscript',
    );
    assert.equal(
      await completion('document', 'text/plain', MACH_O),
      'MEDIA_TYPE_NOT_ALLOWED: application/x-mach-binary',
    );
    assert.equal(
      await completion('document', 'text/csv', ELF),
      'MEDIA_TYPE_NOT_ALLOWED: application/x-executable',
    );
    assert.equal(
      await completion('document', 'application/zip', APK),
      'MEDIA_TYPE_NOT_ALLOWED: application/vnd.android.package-archive',
    );
    assert.equal(
      await completion('document', 'application/zip', JAR),
      'MEDIA_TYPE_NOT_ALLOWED: application/java-archive',
    );
    assert.equal(
      await completion('document', 'application/msword', MSI),
      'MEDIA_TYPE_NOT_ALLOWED: application/x-msi',
    );
    const docx = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
    assert.equal(await completion('document', docx, DOCX), undefined);
    assert.equal(await completion('document', 'application/vnd.oasis.opendocument.text', ODT), undefined);
    assert.equal(await completion('document', 'application/msword', DOC), undefined);
    assert.equal(
      await completion('document', 'text/plain', Buffer.from('minutes of the meeting\n')),
      undefined,
    );
  });

  test('downloads carry a fixed type, documents as attachments; file names arrive sanitized', async () => {
    const mediaId = await upload(stack, alice, 'document', 'text/plain', HTML);
    const message = await sendToBob(mediaId, {
      fileName: `..\\../etc/pass\u0000wd\r\n\u202Etxt.html`,
    });
    assert.equal(message.media?.fileName, 'passwdtxt.html');
    const got = await download(mediaId, message.messageId);
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), 'text/plain');
    assert.equal(got.headers.get('content-disposition'), `attachment; filename="${mediaId}.txt"`);

    const long = await sendToBob(mediaId, { fileName: `${'x'.repeat(250)}.pdf` });
    assert.equal(long.media?.fileName, `${'x'.repeat(124)}.pdf`);

    const imageId = await upload(stack, alice, 'image', 'image/jpeg', fileOf('image/jpeg', 900));
    const image = await download(imageId, (await sendToBob(imageId)).messageId);
    assert.equal(image.headers.get('content-type'), 'image/jpeg');
  });

  test('a view-once open gets a URL for one fetch window of seconds; ordinary downloads keep theirs', async () => {
    const body = fileOf('image/jpeg', 4000);
    const mediaId = await upload(stack, alice, 'image', 'image/jpeg', body);
    const plain = await download(mediaId, (await sendToBob(mediaId)).messageId);
    assert.equal(plain.expiresInSeconds, 300);
    const onceId = await upload(stack, alice, 'image', 'image/jpeg', body);
    const message = await sendToBob(onceId, { viewOnce: true });
    const link = await httpOf(stack).mediaDownloadUrl(
      bob.tokens.accessToken,
      onceId,
      aliceBob,
      message.messageId,
    );
    assert.equal(link.expiresInSeconds, 3);
    await outlast(link.expiresInSeconds * 1000, 600);
    const late = await fetch(link.url);
    await late.arrayBuffer();
    assert.equal(late.status, 403, 'the view-once URL is dead after its window');
  });
});
