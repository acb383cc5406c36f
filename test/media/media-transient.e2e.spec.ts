import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createS3Client, ObjectStore } from '#libs/s3';
import { eventually } from '../support/app-process.js';
import { ChatStack } from '../support/chat-stack.js';
import { linkDevice, signUp, type TestDevice } from '../support/chat-users.js';
import { fileOf, httpOf, sha256, upload } from './media-helpers.js';
import { outlast } from '../support/wait.js';

let stack: ChatStack;
let store: ObjectStore;
let alice: TestDevice, bob1: TestDevice, bob2: TestDevice;

describe('transient retention: media is deleted once every recipient device has fetched it (real S3Proxy)', () => {
  before(async () => {
    stack = await ChatStack.start({
      overrides: {
        RETENTION_MODE: 'transient',
        // A presigned URL's life counts from its signing second: at 1 s a fetch right away may be late.
        MEDIA_DOWNLOAD_URL_TTL_SECONDS: '3',
        MEDIA_SWEEP_INTERVAL_MS: '250',
      },
    });
    store = new ObjectStore(createS3Client(stack.env.s3), stack.env.s3.S3_BUCKET);
    alice = await signUp(stack);
    bob1 = await signUp(stack);
    bob2 = await linkDevice(stack, bob1);
    await Promise.all([alice.connect(), bob1.connect(), bob2.connect()]);
  });
  after(async () => {
    await Promise.all([alice, bob1, bob2].map((d) => d.disconnect()));
    store.client.destroy();
    await stack.stop();
  });

  test('one device fetching is not enough; after the last device the object goes', async () => {
    const { conversationId } = await alice.chat.openDirect(bob1.userId);
    const body = fileOf('image/jpeg', 20_000);
    const mediaId = await upload(stack, alice, 'image', 'image/jpeg', body);
    const sent = await alice.chat.sendMedia(conversationId, { mediaId });
    await bob1.waitForMessages(conversationId, 1);
    await bob2.waitForMessages(conversationId, 1);
    const key = `media/image/${mediaId}`;
    const http = httpOf(stack);

    const first = await http.mediaDownloadUrl(
      bob1.tokens.accessToken,
      mediaId,
      conversationId,
      sent.messageId,
    );
    assert.equal(sha256(Buffer.from(await (await fetch(first.url)).arrayBuffer())), sha256(body));
    // Past the URL's life and several sweeps (250 ms): that the object outlives them is the assertion.
    await outlast(first.expiresInSeconds * 1000, 1000);
    assert.ok(await store.head(key), 'still there: bob2 has not fetched it');
    // Not view-once: a device may fetch again while the media lives.
    await http.mediaDownloadUrl(bob1.tokens.accessToken, mediaId, conversationId, sent.messageId);

    const last = await http.mediaDownloadUrl(
      bob2.tokens.accessToken,
      mediaId,
      conversationId,
      sent.messageId,
    );
    assert.equal((await fetch(last.url)).status, 200);
    await eventually(async () => (await store.head(key)) === undefined, 10_000, 'object deleted');
    // The sweeper deletes the object, then marks the media deleted: downloads answer MEDIA_GONE after that.
    const answer = (): Promise<string | undefined> =>
      http.mediaDownloadUrl(bob2.tokens.accessToken, mediaId, conversationId, sent.messageId).then(
        () => 'answered',
        (e: { code?: string }) => e.code,
      );
    await eventually(async () => (await answer()) === 'MEDIA_GONE', 10_000, 'MEDIA_GONE');
  });
});

describe('transient retention: media nobody fetched is deleted when the window ends (real S3Proxy)', () => {
  test('after the window the object is gone and a download answers MEDIA_GONE', async () => {
    const windowStack = await ChatStack.start({
      overrides: {
        RETENTION_MODE: 'transient',
        RETENTION_WINDOW_SECONDS: '2',
        MEDIA_DOWNLOAD_URL_TTL_SECONDS: '1',
        MEDIA_SWEEP_INTERVAL_MS: '250',
      },
    });
    const objects = new ObjectStore(createS3Client(windowStack.env.s3), windowStack.env.s3.S3_BUCKET);
    try {
      const sender = await signUp(windowStack);
      const recipient = await signUp(windowStack);
      await Promise.all([sender.connect(), recipient.connect()]);
      const { conversationId } = await sender.chat.openDirect(recipient.userId);
      const mediaId = await upload(windowStack, sender, 'image', 'image/png', fileOf('image/png', 10_000));
      const sent = await sender.chat.sendMedia(conversationId, { mediaId });
      await recipient.waitForMessages(conversationId, 1);
      const key = `media/image/${mediaId}`;
      assert.ok(await objects.head(key), 'stored while the window lasts');
      await eventually(async () => (await objects.head(key)) === undefined, 15_000, 'object deleted');
      // The sweeper deletes the object, then marks the media deleted: downloads answer MEDIA_GONE after that.
      const downloadAnswer = (): Promise<string | undefined> =>
        httpOf(windowStack)
          .mediaDownloadUrl(recipient.tokens.accessToken, mediaId, conversationId, sent.messageId)
          .then(
            () => 'answered',
            (e: { code?: string }) => e.code,
          );
      await eventually(async () => (await downloadAnswer()) === 'MEDIA_GONE', 10_000, 'MEDIA_GONE');
    } finally {
      objects.client.destroy();
      await windowStack.stop();
    }
  });
});
