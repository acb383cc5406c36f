import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createS3Client, ObjectStore } from '#libs/s3';
import { eventually } from '../support/app-process.js';
import { ChatStack } from '../support/chat-stack.js';
import { signUp, type TestDevice } from '../support/chat-users.js';
import { fileOf, httpOf, putTo, refused, sha256, upload, sendMediaTo } from './media-helpers.js';
import { outlast } from '../support/wait.js';

const MB = 1024 * 1024;
let stack: ChatStack;
let store: ObjectStore;
let alice: TestDevice, bob: TestDevice, carol: TestDevice;
let aliceBob: string;

async function countObjects(): Promise<number> {
  const out = await store.client.send(
    new ListObjectsV2Command({ Bucket: stack.env.s3.S3_BUCKET, Prefix: 'media/' }),
  );
  return out.KeyCount ?? 0;
}

/** Sends media from alice to bob; answers the message as bob got it. */
const sendToBob = (mediaId: string, extra: { viewOnce?: boolean; caption?: string } = {}) =>
  sendMediaTo(alice, bob, aliceBob, mediaId, extra);

describe('media through S3: slots, completion, messages, downloads, lifecycle (real S3Proxy)', () => {
  before(async () => {
    stack = await ChatStack.start({
      overrides: {
        MEDIA_DOWNLOAD_URL_TTL_SECONDS: '2',
        MEDIA_VIEW_ONCE_URL_TTL_SECONDS: '2',
        MEDIA_UPLOAD_URL_TTL_SECONDS: '3',
        MEDIA_ORPHAN_TTL_SECONDS: '4',
        MEDIA_SWEEP_INTERVAL_MS: '250',
      },
    });
    store = new ObjectStore(createS3Client(stack.env.s3), stack.env.s3.S3_BUCKET);
    [alice, bob, carol] = [await signUp(stack), await signUp(stack), await signUp(stack)];
    await Promise.all([alice.connect(), bob.connect(), carol.connect()]);
    ({ conversationId: aliceBob } = await alice.chat.openDirect(bob.userId));
  });
  after(async () => {
    await Promise.all([alice, bob, carol].map((d) => d.disconnect()));
    store.client.destroy();
    await stack.stop();
  });

  test('each kind gets a slot up to its limit and MEDIA_TOO_LARGE naming the limit beyond it', async () => {
    const http = httpOf(stack);
    const token = alice.tokens.accessToken;
    const limits = [
      ['image', 'image/jpeg', 16 * MB],
      ['video', 'video/mp4', 16 * MB],
      ['audio', 'audio/mpeg', 16 * MB],
      ['voice', 'audio/ogg', 16 * MB],
      ['document', 'application/pdf', 100 * MB],
    ] as const;
    for (const [kind, contentType, limit] of limits) {
      const slot = await http.createUpload(token, { kind, contentType, size: limit, sha256: 'a'.repeat(64) });
      assert.equal(slot.method, limit > 16 * MB ? 'MULTIPART' : 'PUT', kind);
      const err = await refused(
        http.createUpload(token, { kind, contentType, size: limit + 1, sha256: 'a'.repeat(64) }),
        'MEDIA_TOO_LARGE',
      );
      assert.equal(err.status, 413);
      assert.equal(err.details?.limit, limit);
      assert.match(err.message, new RegExp(String(limit)));
    }
  });

  test('types outside the allow-list are refused with MEDIA_TYPE_NOT_ALLOWED listing what is allowed', async () => {
    const http = httpOf(stack);
    const err = await refused(
      http.createUpload(alice.tokens.accessToken, {
        kind: 'video',
        contentType: 'video/webm',
        size: 10,
        sha256: 'a'.repeat(64),
      }),
      'MEDIA_TYPE_NOT_ALLOWED',
    );
    assert.deepEqual(err.details?.allowed, [
      'video/mp4',
      'video/3gpp',
      'video/x-matroska',
      'video/x-msvideo',
      'video/quicktime',
    ]);
    await refused(
      http.createUpload(alice.tokens.accessToken, {
        kind: 'document',
        contentType: 'application/x-msdownload',
        size: 10,
        sha256: 'a'.repeat(64),
      }),
      'MEDIA_TYPE_NOT_ALLOWED',
    );
  });

  test('the presigned PUT refuses a bigger body or another type: S3Proxy checks the signed headers', async () => {
    const http = httpOf(stack);
    const body = fileOf('image/jpeg', 1000);
    const slot = await http.createUpload(alice.tokens.accessToken, {
      kind: 'image',
      contentType: 'image/jpeg',
      size: body.length,
      sha256: sha256(body),
    });
    assert.equal(await putTo(slot, Buffer.concat([body, body])), 403);
    assert.equal(await putTo(slot, body, { 'content-type': 'image/png' }), 403);
    await refused(http.completeUpload(alice.tokens.accessToken, slot.mediaId), 'MEDIA_NOT_READY');
    assert.equal(await putTo(slot, body), 200);
    const done = await http.completeUpload(alice.tokens.accessToken, slot.mediaId);
    assert.equal(done.size, 1000);
  });

  test('an upload URL past its life is refused by S3', async () => {
    const http = httpOf(stack);
    const body = fileOf('image/jpeg', 800);
    const slot = await http.createUpload(alice.tokens.accessToken, {
      kind: 'image',
      contentType: 'image/jpeg',
      size: body.length,
      sha256: sha256(body),
    });
    assert.equal(slot.expiresInSeconds, 3);
    await outlast(slot.expiresInSeconds * 1000, 600);
    assert.equal(await putTo(slot, body), 403);
    await refused(http.completeUpload(alice.tokens.accessToken, slot.mediaId), 'MEDIA_NOT_READY');
  });

  test('a wrong checksum is refused at completion and the stored bytes are deleted', async () => {
    const http = httpOf(stack);
    const body = fileOf('image/jpeg', 2000);
    const slot = await http.createUpload(alice.tokens.accessToken, {
      kind: 'image',
      contentType: 'image/jpeg',
      size: body.length,
      sha256: sha256(Buffer.from('something else')),
    });
    assert.equal(await putTo(slot, body), 200);
    const err = await refused(
      http.completeUpload(alice.tokens.accessToken, slot.mediaId),
      'MEDIA_CHECKSUM_MISMATCH',
    );
    assert.equal(err.details?.stored, sha256(body));
    assert.equal(await store.head(`media/image/${slot.mediaId}`), undefined);
    await refused(alice.chat.sendMedia(aliceBob, { mediaId: slot.mediaId }), 'MEDIA_NOT_READY');
  });

  test('a declared type the bytes do not have is refused with MEDIA_TYPE_NOT_ALLOWED', async () => {
    const http = httpOf(stack);
    const body = fileOf('image/jpeg', 3000);
    const slot = await http.createUpload(alice.tokens.accessToken, {
      kind: 'image',
      contentType: 'image/png',
      size: body.length,
      sha256: sha256(body),
    });
    assert.equal(await putTo(slot, body), 200);
    const err = await refused(
      http.completeUpload(alice.tokens.accessToken, slot.mediaId),
      'MEDIA_TYPE_NOT_ALLOWED',
    );
    assert.deepEqual(err.details, { declared: 'image/png', detected: 'image/jpeg' });
  });

  test('a message may not name an unfinished upload, nor media of someone else', async () => {
    const http = httpOf(stack);
    const body = fileOf('image/jpeg', 500);
    const slot = await http.createUpload(alice.tokens.accessToken, {
      kind: 'image',
      contentType: 'image/jpeg',
      size: body.length,
      sha256: sha256(body),
    });
    await refused(alice.chat.sendMedia(aliceBob, { mediaId: slot.mediaId }), 'MEDIA_NOT_READY');
    const carolsOwn = await upload(stack, carol, 'image', 'image/jpeg', fileOf('image/jpeg', 500));
    await refused(alice.chat.sendMedia(aliceBob, { mediaId: carolsOwn }), 'MEDIA_NOT_ACCESSIBLE');
    await refused(alice.chat.sendMedia(aliceBob, { mediaId: 'no-such-media' }), 'NOT_FOUND');
  });

  test('a member downloads through a short-lived URL; a stranger gets NOT_A_MEMBER; the URL expires', async () => {
    const body = fileOf('video/mp4', 300_000);
    const mediaId = await upload(stack, alice, 'video', 'video/mp4', body);
    const message = await sendToBob(mediaId, { caption: 'look' });
    assert.deepEqual(message.media, {
      mediaId,
      kind: 'video',
      size: body.length,
      contentType: 'video/mp4',
      sha256: sha256(body),
      caption: 'look',
      viewOnce: false,
    });
    assert.equal(message.text, '');
    const http = httpOf(stack);
    const { url, expiresInSeconds } = await http.mediaDownloadUrl(
      bob.tokens.accessToken,
      mediaId,
      aliceBob,
      message.messageId,
    );
    assert.equal(expiresInSeconds, 2);
    const got = Buffer.from(await (await fetch(url)).arrayBuffer());
    assert.equal(sha256(got), sha256(body));
    await refused(
      http.mediaDownloadUrl(carol.tokens.accessToken, mediaId, aliceBob, message.messageId),
      'NOT_A_MEMBER',
    );
    await outlast(expiresInSeconds * 1000, 600);
    const late = await fetch(url);
    await late.arrayBuffer();
    assert.equal(late.status, 403);
    const history = await bob.chat.history(aliceBob, { limit: 5 });
    assert.equal(history.messages.find((m) => m.messageId === message.messageId)?.media?.mediaId, mediaId);
  });

  test('view-once media opens once per recipient device, then the object is deleted', async () => {
    const body = fileOf('image/jpeg', 4000);
    const mediaId = await upload(stack, alice, 'image', 'image/jpeg', body);
    const message = await sendToBob(mediaId, { viewOnce: true });
    assert.equal(message.media?.viewOnce, true);
    const http = httpOf(stack);
    const first = await http.mediaDownloadUrl(bob.tokens.accessToken, mediaId, aliceBob, message.messageId);
    assert.equal(first.viewOnce, true);
    assert.equal(sha256(Buffer.from(await (await fetch(first.url)).arrayBuffer())), sha256(body));
    await refused(
      http.mediaDownloadUrl(bob.tokens.accessToken, mediaId, aliceBob, message.messageId),
      'MEDIA_GONE',
    );
    await refused(
      http.mediaDownloadUrl(alice.tokens.accessToken, mediaId, aliceBob, message.messageId),
      'FORBIDDEN',
    );
    await eventually(
      async () => (await store.head(`media/image/${mediaId}`)) === undefined,
      10_000,
      'view-once object deleted',
    );
    await refused(bob.chat.sendMedia(aliceBob, { mediaId }), 'MEDIA_NOT_ACCESSIBLE');
  });

  test('an upload no message references is deleted by the sweeper', async () => {
    const mediaId = await upload(stack, alice, 'voice', 'audio/ogg', fileOf('audio/ogg', 5000));
    assert.ok(await store.head(`media/voice/${mediaId}`));
    await eventually(
      async () => (await store.head(`media/voice/${mediaId}`)) === undefined,
      15_000,
      'orphan deleted',
    );
    await refused(alice.chat.sendMedia(aliceBob, { mediaId }), 'MEDIA_NOT_READY');
  });

  test('a PUT after completion lands on the staging key, which the sweeper deletes', async () => {
    const http = httpOf(stack);
    const body = fileOf('image/jpeg', 1200);
    const slot = await http.createUpload(alice.tokens.accessToken, {
      kind: 'image',
      contentType: 'image/jpeg',
      size: body.length,
      sha256: sha256(body),
    });
    assert.equal(await putTo(slot, body), 200);
    await http.completeUpload(alice.tokens.accessToken, slot.mediaId);
    // Sent, so the orphan sweeper (4 s here) keeps the served object and takes only the staging one.
    await sendToBob(slot.mediaId);
    const staging = `staging/media/image/${slot.mediaId}`;
    assert.equal(await store.head(staging), undefined, 'completion moved the bytes out of the staging key');
    assert.equal(await putTo(slot, fileOf('image/jpeg', 1200)), 200);
    assert.ok(await store.head(staging));
    await eventually(async () => (await store.head(staging)) === undefined, 15_000, 'staging object swept');
    const served = await store.readRange(`media/image/${slot.mediaId}`, 0, body.length - 1);
    assert.equal(sha256(served), sha256(body));
  });

  test('forwarding reuses the stored object: no second upload', async () => {
    const body = fileOf('application/pdf', 50_000);
    const mediaId = await upload(stack, alice, 'document', 'application/pdf', body);
    const original = await sendToBob(mediaId, { caption: 'the contract' });
    const { conversationId: bobCarol } = await bob.chat.openDirect(carol.userId);
    const objectsBefore = await countObjects();
    const forwarded = await bob.chat.sendMedia(bobCarol, { mediaId });
    const [atCarol] = await carol.waitForMessages(bobCarol, 1);
    assert.equal(atCarol?.messageId, forwarded.messageId);
    assert.equal(atCarol?.media?.mediaId, mediaId);
    assert.equal(atCarol?.media?.sha256, original.media?.sha256);
    const { url } = await httpOf(stack).mediaDownloadUrl(
      carol.tokens.accessToken,
      mediaId,
      bobCarol,
      forwarded.messageId,
    );
    assert.equal(sha256(Buffer.from(await (await fetch(url)).arrayBuffer())), sha256(body));
    // The same object serves both messages, and carol still cannot go through alice's conversation.
    assert.equal(await countObjects(), objectsBefore);
    assert.ok(await store.head(`media/document/${mediaId}`));
    await refused(
      httpOf(stack).mediaDownloadUrl(carol.tokens.accessToken, mediaId, aliceBob, original.messageId),
      'NOT_A_MEMBER',
    );
  });
});
