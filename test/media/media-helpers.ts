import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { ChatError, ChatHttpClient, type UploadSlot } from '#libs/client-sdk';
import type { MediaKind } from '#libs/protocol';
import type { ChatStack } from '../support/chat-stack.js';
import type { TestDevice } from '../support/chat-users.js';

/** Bytes that start like a real file of the type, then random: the server sniffs the start. */
export const MAGIC: Readonly<Record<string, Buffer>> = {
  'image/jpeg': Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]),
  'image/png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  'video/mp4': Buffer.concat([
    Buffer.from([0, 0, 0, 0x18]),
    Buffer.from('ftypisom\0\0\x02\0isomiso2', 'latin1'),
  ]),
  'audio/ogg': Buffer.from('OggS\0\x02', 'latin1'),
  'application/pdf': Buffer.from('%PDF-1.7\n', 'latin1'),
};

export function fileOf(contentType: string, size: number): Buffer {
  const magic = MAGIC[contentType] ?? Buffer.alloc(0);
  return Buffer.concat([magic, randomBytes(size - magic.length)]);
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export function httpOf(stack: ChatStack): ChatHttpClient {
  return new ChatHttpClient({ baseUrl: stack.liveGateways[0]!.url });
}

/** PUTs the bytes to a single-PUT slot exactly as the slot says. */
export async function putTo(
  slot: UploadSlot,
  body: Buffer,
  headers?: Record<string, string>,
): Promise<number> {
  assert.equal(slot.method, 'PUT');
  if (slot.method !== 'PUT') return 0;
  const res = await fetch(slot.url, {
    method: 'PUT',
    body,
    headers: headers ?? { 'content-type': slot.headers['content-type']! },
  });
  await res.arrayBuffer();
  return res.status;
}

/** Slot, upload, completion: a media id a message may reference. */
export async function upload(
  stack: ChatStack,
  device: TestDevice,
  kind: MediaKind,
  contentType: string,
  body: Buffer,
): Promise<string> {
  const http = httpOf(stack);
  const token = device.tokens.accessToken;
  const slot = await http.createUpload(token, { kind, contentType, size: body.length, sha256: sha256(body) });
  assert.equal(await putTo(slot, body), 200);
  await http.completeUpload(token, slot.mediaId);
  return slot.mediaId;
}

/** Awaits a refusal with the given stable code. */
export async function refused(p: Promise<unknown>, code: string): Promise<ChatError> {
  const err = await p.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ChatError, String(err));
  assert.equal(err.code, code, err.message);
  return err;
}

/** Sends media from one device to another in a conversation; answers the message as the receiver got it. */
export async function sendMediaTo(
  from: TestDevice,
  to: TestDevice,
  conversationId: string,
  mediaId: string,
  extra: { viewOnce?: boolean; caption?: string; fileName?: string } = {},
) {
  const before = to.of(conversationId).length;
  const sent = await from.chat.sendMedia(conversationId, { mediaId, ...extra });
  const got = await to.waitForMessages(conversationId, before + 1);
  const message = got.find((m) => m.messageId === sent.messageId);
  assert.ok(message, 'the receiver got the media message');
  return message;
}
