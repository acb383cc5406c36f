import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatError } from '#libs/client-sdk';
import { ChatStack } from '../support/chat-stack.js';
import { signUp } from '../support/chat-users.js';
import { eventually } from '../support/app-process.js';
import { outlast, quietPeriod } from '../support/wait.js';
import {
  PRESENCE_TEST_ENV,
  PRIVACY_CACHE_MS,
  PresenceDevice,
  TYPING_REFILL_MS,
  TYPING_TTL_MS,
} from './presence-support.js';

/**
 * Presence frames a stranger may not see have no later frame of theirs to wait for: the absence is a
 * quiet period after each transition, longer than the flush (100 ms) and sweep (200 ms) that send one.
 */
const NO_LEAK_MS = 600;

let stack: ChatStack;
/** target wrote to contact in their direct conversation; stranger shares nothing with target. */
let target: PresenceDevice;
let contact: PresenceDevice;
let stranger: PresenceDevice;
let conversationId: string;
const opened: PresenceDevice[] = [];

async function device(): Promise<PresenceDevice> {
  return PresenceDevice.connect(await signUp(stack), stack.wsUrls);
}

async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as ChatError).code;
  }
  return 'no error';
}

describe('presence privacy and typing indicators', () => {
  before(async () => {
    stack = await ChatStack.start({ overrides: { ...PRESENCE_TEST_ENV } });
    [target, contact, stranger] = [await device(), await device(), await device()];
    ({ conversationId } = await target.client.openDirect(contact.userId));
    // A contact is someone the target wrote to (contacts_by_user, written by the projector with the
    // message): wait until the message is projected, then for older cached contact lists to expire.
    await target.client.send(conversationId, 'hello');
    await eventually(
      async () => (await contact.client.listConversations()).conversations[0]?.lastMessage !== undefined,
      5000,
      'the first message projected',
    );
    await outlast(PRIVACY_CACHE_MS, 100);
  });
  after(async () => {
    await Promise.all([target, contact, stranger, ...opened].map((d) => d?.close()));
    await stack.stop();
  });

  test('everyone: contacts and strangers see online', async () => {
    await target.client.setPrivacy({ lastSeen: 'everyone', online: 'everyone' });
    for (const viewer of [contact, stranger]) {
      const [s] = await viewer.client.watchPresence([target.userId]);
      assert.deepEqual(s, { userId: target.userId, visible: { online: true, lastSeen: true }, online: true });
    }
  });

  test('contacts: a contact sees, a stranger gets PRESENCE_HIDDEN', async () => {
    assert.deepEqual(await target.client.setPrivacy({ lastSeen: 'contacts', online: 'contacts' }), {
      lastSeen: 'contacts',
      online: 'contacts',
      avatar: 'everyone',
      about: 'everyone',
    });
    const [s] = await contact.client.watchPresence([target.userId]);
    assert.equal(s?.online, true);
    assert.equal(await errorCode(stranger.client.watchPresence([target.userId])), 'PRESENCE_HIDDEN');
  });

  test('nobody: even a contact gets PRESENCE_HIDDEN; privacy.get reads it back', async () => {
    await target.client.setPrivacy({ lastSeen: 'nobody', online: 'nobody' });
    assert.deepEqual(await target.client.getPrivacy(), {
      lastSeen: 'nobody',
      online: 'nobody',
      avatar: 'everyone',
      about: 'everyone',
    });
    assert.equal(await errorCode(contact.client.watchPresence([target.userId])), 'PRESENCE_HIDDEN');
    const [self] = await target.client.watchPresence([target.userId]);
    assert.equal(self?.online, true, 'one always sees oneself');
  });

  test('last seen hidden, online shown: the state is redacted, not refused', async () => {
    await target.client.setPrivacy({ lastSeen: 'nobody', online: 'everyone' });
    const [s] = await stranger.client.watchPresence([target.userId]);
    assert.deepEqual(s, { userId: target.userId, visible: { online: true, lastSeen: false }, online: true });
  });

  test('reciprocity: who hides their last seen cannot see the last seen of others', async () => {
    await target.client.setPrivacy({ lastSeen: 'everyone', online: 'everyone' });
    const quiet = await device();
    opened.push(quiet);
    // Online already when the watch answers (its transition came first), or a frame says so after.
    const [now] = await contact.client.watchPresence([quiet.userId]);
    if (now?.online !== true) await contact.waitForPresence(quiet.userId, (p) => p.online === true);
    await quiet.close(); // offline, with a last seen
    const off = await contact.waitForPresence(quiet.userId, (p) => p.online === false);
    assert.ok(off.lastSeen, 'last seen shown while the viewer shows theirs');
    await contact.client.setPrivacy({ lastSeen: 'nobody' });
    const [hidden] = await contact.client.watchPresence([quiet.userId]);
    assert.deepEqual(hidden, {
      userId: quiet.userId,
      visible: { online: true, lastSeen: false },
      online: false,
    });
    await contact.client.setPrivacy({ lastSeen: 'everyone' });
  });

  test('live updates obey privacy: a watcher sees the change at once and nothing it may not see after', async () => {
    await target.client.setPrivacy({ lastSeen: 'everyone', online: 'everyone' });
    await stranger.client.watchPresence([target.userId]);
    const before = stranger.presence.length;
    await target.client.setPrivacy({ lastSeen: 'nobody', online: 'nobody' });
    const redacted = await stranger.waitForPresence(
      target.userId,
      (p) => !p.visible.online && !p.visible.lastSeen,
      3000,
      before,
    );
    assert.equal(redacted.online, undefined);
    assert.equal(redacted.lastSeen, undefined);
    const seen = stranger.presence.length;
    assert.ok(seen > before);
    // the target goes offline and comes back: the stranger hears nothing of it
    await target.close();
    await quietPeriod(NO_LEAK_MS);
    target = await PresenceDevice.connect(target.device, stack.wsUrls);
    await quietPeriod(NO_LEAK_MS);
    assert.equal(stranger.presence.length, seen, 'no update leaked');
    await target.client.setPrivacy({ lastSeen: 'everyone', online: 'everyone' });
  });

  test('typing reaches the other member, expires by itself, and only members may send or watch it', async () => {
    await contact.client.watchPresence([target.userId], conversationId);
    await target.client.setTyping(conversationId, 'typing');
    await contact.until(() => contact.typing.some((t) => t.userId === target.userId && t.state === 'typing'));
    const got = contact.typing.filter((t) => t.userId === target.userId && t.state === 'typing');
    assert.equal(got.length, 1);
    assert.equal(contact.client.typingIn(conversationId).length, 1);
    assert.equal(target.typing.length, 0, 'not echoed to its sender');
    // no refresh and no stop: the receiver drops it by itself after TYPING_TTL_MS, with a 'stopped'
    await contact.until(
      () => contact.typing.some((t) => t.userId === target.userId && t.state === 'stopped'),
      TYPING_TTL_MS * 4,
      'the indicator expires',
    );
    assert.equal(contact.client.typingIn(conversationId).length, 0);
    await target.client.setTyping(conversationId, 'recording');
    await contact.until(() => contact.client.typingIn(conversationId)[0]?.state === 'recording');
    await target.client.setTyping(conversationId, 'stopped');
    await contact.until(() => contact.client.typingIn(conversationId).length === 0);

    assert.equal(await errorCode(stranger.client.setTyping(conversationId, 'typing')), 'NOT_A_MEMBER');
    assert.equal(
      await errorCode(stranger.client.watchPresence([target.userId], conversationId)),
      'NOT_A_MEMBER',
    );
  });

  test('a flood of typing frames is RATE_LIMITED while everything else goes on', async () => {
    await outlast(TYPING_REFILL_MS, 500); // the earlier tests' typing frames drew on the bucket
    const results = await Promise.all(
      Array.from({ length: 30 }, () => errorCode(target.client.setTyping(conversationId, 'typing'))),
    );
    const limited = results.filter((r) => r === 'RATE_LIMITED').length;
    assert.equal(results.filter((r) => r === 'no error').length, 5, 'the burst passes');
    assert.equal(limited, 25, 'the rest is refused');
    const sent = await target.client.send(conversationId, 'still here');
    assert.ok(sent.messageId, 'messages still go through');
    assert.ok((await target.client.ping()).time);
    assert.equal(contact.client.typingIn(conversationId).length, 1, 'the indicators that passed arrived');
  });
});
