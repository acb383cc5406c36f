import sharp from 'sharp';
import { ChatHttpClient } from '#libs/client-sdk';
import type { ProfileView } from '#libs/protocol';
import type { ChatStack } from '../support/chat-stack.js';
import { eventually } from '../support/app-process.js';
import type { TestDevice } from '../support/chat-users.js';

/** A real image of the given size and format (one colour: small files, decoded by the server's image rules). */
export function imageOf(
  width: number,
  height: number,
  format: 'png' | 'jpeg' | 'webp' = 'png',
): Promise<Buffer> {
  const background = { r: (width * 7) & 0xff, g: 90, b: height & 0xff };
  return sharp({ create: { width, height, channels: 3, background } })
    .toFormat(format)
    .toBuffer();
}

export const pngOf = (width: number, height: number): Promise<Buffer> => imageOf(width, height, 'png');

/** A PNG header of the given size, then bytes that decode as no image (the header alone is read first). */
export function pngHeaderOf(width: number, height: number, size = 4096): Buffer {
  const ihdr = Buffer.alloc(25);
  ihdr.writeUInt32BE(13, 0);
  ihdr.write('IHDR', 4, 'latin1');
  ihdr.writeUInt32BE(width, 8);
  ihdr.writeUInt32BE(height, 12);
  const head = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ihdr]);
  const body = Buffer.alloc(size - head.length);
  for (let i = 0; i < body.length; i++) body[i] = (i * 31 + width) & 0xff;
  return Buffer.concat([head, body]);
}

/** What `viewer` gets for `target` from profile.get. */
export async function profileSeenBy(viewer: TestDevice, targetId: string): Promise<ProfileView | undefined> {
  return (await viewer.chat.getProfiles([targetId])).find((p) => p.userId === targetId);
}

/** Waits until `viewer`'s profile.get of `target` matches (the read model follows the log shortly). */
export async function waitForProfile(
  viewer: TestDevice,
  targetId: string,
  match: (p: ProfileView | undefined) => boolean,
  what: string,
): Promise<ProfileView | undefined> {
  let last: ProfileView | undefined;
  await eventually(async () => match((last = await profileSeenBy(viewer, targetId))), 20_000, what).catch(
    (err: unknown) => {
      throw new Error(`${String(err)}; last seen: ${JSON.stringify(last)}`);
    },
  );
  return last;
}

/** Puts `to`'s number in `from`'s address book: `to` is then `from`'s contact. */
export async function addToAddressBook(stack: ChatStack, from: TestDevice, to: TestDevice): Promise<void> {
  const http = new ChatHttpClient({ baseUrl: stack.liveGateways[0]!.url });
  await http.changeContacts(from.tokens.accessToken, { add: [to.phone!] });
}

/** `from` writes to `to` in a direct chat (which made `to` a contact before address books existed). */
export async function writeTo(from: TestDevice, to: TestDevice): Promise<void> {
  const { conversationId } = await from.chat.openDirect(to.userId);
  await from.chat.send(conversationId, `hi ${to.userId}`);
  await to.waitForMessages(conversationId, 1);
}
