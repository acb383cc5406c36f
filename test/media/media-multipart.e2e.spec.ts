import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import { ChatStack } from '../support/chat-stack.js';
import { signUp, type TestDevice } from '../support/chat-users.js';
import { httpOf } from './media-helpers.js';

const MB = 1024 * 1024;
const SIZE = 100 * MB;

let stack: ChatStack;
let alice: TestDevice, bob: TestDevice;

/** Bytes of a deterministic 100 MB PDF-looking document, made on demand so the whole never sits in memory. */
function chunkOf(offset: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i + 4 <= length; i += 4) b.writeUInt32LE((offset + i) >>> 0, i);
  if (offset === 0) b.write('%PDF-1.7\n', 0, 'latin1');
  return b;
}

describe('a 100 MB document through a multipart upload (real S3Proxy)', () => {
  before(async () => {
    stack = await ChatStack.start();
    [alice, bob] = [await signUp(stack), await signUp(stack)];
    await Promise.all([alice.connect(), bob.connect()]);
  });
  after(async () => {
    await Promise.all([alice, bob].map((d) => d.disconnect()));
    await stack.stop();
  });

  test('presigned parts, completion checking the SHA-256 of the whole, then a member downloads it', async () => {
    const http = httpOf(stack);
    const token = alice.tokens.accessToken;
    const partBytes = 16 * MB;
    const hash = createHash('sha256');
    for (let at = 0; at < SIZE; at += partBytes) hash.update(chunkOf(at, Math.min(partBytes, SIZE - at)));
    const digest = hash.digest('hex');

    const slot = await http.createUpload(token, {
      kind: 'document',
      contentType: 'application/pdf',
      size: SIZE,
      sha256: digest,
    });
    assert.equal(slot.method, 'MULTIPART');
    if (slot.method !== 'MULTIPART') return;
    assert.equal(slot.partSize, partBytes);
    assert.equal(slot.parts.length, Math.ceil(SIZE / slot.partSize));
    const parts: Array<{ partNumber: number; etag: string }> = [];
    for (const part of slot.parts) {
      const body = chunkOf((part.partNumber - 1) * slot.partSize, part.size);
      const res = await fetch(part.url, { method: 'PUT', body });
      await res.arrayBuffer();
      assert.equal(res.status, 200, `part ${part.partNumber}`);
      parts.push({ partNumber: part.partNumber, etag: res.headers.get('etag')! });
    }
    const done = await http.completeUpload(token, slot.mediaId, parts);
    assert.deepEqual(done, {
      mediaId: slot.mediaId,
      kind: 'document',
      size: SIZE,
      contentType: 'application/pdf',
      sha256: digest,
    });

    const { conversationId } = await alice.chat.openDirect(bob.userId);
    const sent = await alice.chat.sendMedia(conversationId, { mediaId: slot.mediaId, fileName: 'big.pdf' });
    const [message] = await bob.waitForMessages(conversationId, 1);
    assert.equal(message?.media?.size, SIZE);
    assert.equal(message?.media?.fileName, 'big.pdf');
    const { url } = await http.mediaDownloadUrl(
      bob.tokens.accessToken,
      slot.mediaId,
      conversationId,
      sent.messageId,
    );
    const res = await fetch(url);
    assert.equal(res.status, 200);
    const down = createHash('sha256');
    let size = 0;
    for await (const chunk of Readable.fromWeb(res.body! as ReadableStream<Uint8Array>)) {
      down.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    assert.equal(size, SIZE);
    assert.equal(down.digest('hex'), digest);
  });
});
