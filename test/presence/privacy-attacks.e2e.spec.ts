import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatError } from '#libs/client-sdk';
import { directConversationId } from '#libs/domain';
import { eventually } from '../support/app-process.js';
import { ChatStack } from '../support/chat-stack.js';
import { signUp } from '../support/chat-users.js';
import { httpOf } from '../media/media-helpers.js';
import { outlast, quietPeriod } from '../support/wait.js';
import { PRESENCE_TEST_ENV, PRIVACY_CACHE_MS, PresenceDevice } from './presence-support.js';

/**
 * The removed member has no later indicator of the group to wait for: absence is a quiet period after
 * the remaining member heard the one sent to both.
 */
const REMOVED_QUIET_MS = 300;

let stack: ChatStack;
let alice: PresenceDevice, bob: PresenceDevice, carol: PresenceDevice, dave: PresenceDevice;
const extra: PresenceDevice[] = [];

async function device(): Promise<PresenceDevice> {
  return PresenceDevice.connect(await signUp(stack), stack.wsUrls);
}

/** The refusal as a stranger sees it: code and message. */
async function answer(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'accepted',
    (err: ChatError) => `${err.code}: ${err.message}`,
  );
}

describe('privacy attacks: existence of direct chats, the contacts audience, typing after removal', () => {
  before(async () => {
    stack = await ChatStack.start({ overrides: { ...PRESENCE_TEST_ENV } });
    [alice, bob, carol, dave] = [await device(), await device(), await device(), await device()];
  });
  after(async () => {
    await Promise.all([alice, bob, carol, dave, ...extra].map((d) => d?.close()));
    await stack.stop();
  });

  test('a stranger gets the same answer for an existing direct chat and one never created', async () => {
    const { conversationId: existing } = await alice.client.openDirect(bob.userId);
    const { messageId } = await alice.client.send(existing, 'between us');
    const never = directConversationId(alice.userId, dave.userId);
    const frames: Array<[string, (conversationId: string) => Promise<unknown>]> = [
      ['history.get', (c) => carol.client.history(c)],
      ['message.info', (c) => carol.client.messageInfo(c, messageId)],
      ['message.send', (c) => carol.client.send(c, 'hello?')],
      ['message.read', (c) => carol.client.markRead(c, messageId)],
      ['message.reply_privately', (c) => carol.client.replyPrivately(c, messageId, 'psst')],
      ['typing.set', (c) => carol.client.setTyping(c, 'typing')],
      ['presence.subscribe', (c) => carol.client.watchPresence([], c)],
      ['group.info', (c) => carol.client.groupInfo(c)],
      ['group.add_members', (c) => carol.client.addMembers(c, [carol.userId])],
      ['group.leave', (c) => carol.client.leaveGroup(c)],
      ['group.update_info', (c) => carol.client.updateGroupInfo(c, { subject: 'mine' })],
      [
        'POST /v1/media/:id/download',
        (c) => httpOf(stack).mediaDownloadUrl(carol.device.tokens.accessToken, 'some-media', c, messageId),
      ],
    ];
    for (const [name, frame] of frames) {
      const there = await answer(frame(existing));
      assert.match(there, /^NOT_A_MEMBER: /, name);
      assert.equal(await answer(frame(never)), there, `${name}: same answer either way`);
    }
  });

  test('opening a chat does not make a contact; a message from the user does, a reply too', async () => {
    const target = await device();
    const stranger = await device();
    extra.push(target, stranger);
    await target.client.setPrivacy({ lastSeen: 'contacts', online: 'contacts' });
    const { conversationId } = await stranger.client.openDirect(target.userId);
    await stranger.client.send(conversationId, 'hi, remember me?');
    await eventually(
      async () => (await target.client.listConversations()).conversations.some((c) => c.lastMessage),
      10_000,
      'the message projected',
    );
    await outlast(PRIVACY_CACHE_MS, 100); // a contact list cached before it is gone
    const hidden = await answer(stranger.client.watchPresence([target.userId]));
    assert.match(hidden, /^PRESENCE_HIDDEN/, 'opening and writing to someone does not reveal them');
    // The target answers: the stranger is now someone they talk to.
    await target.client.send(conversationId, 'oh hi');
    await eventually(
      async () => (await answer(stranger.client.watchPresence([target.userId]))) === 'accepted',
      15_000,
      'the target replied: their presence shows',
    );
    // And the stranger's own message made the target one of the stranger's contacts.
    await stranger.client.setPrivacy({ lastSeen: 'contacts', online: 'contacts' });
    await eventually(
      async () => (await answer(target.client.watchPresence([stranger.userId]))) === 'accepted',
      15_000,
      'who wrote first shows to whom they wrote',
    );
  });

  test('a member removed from a group stops receiving its typing indicators', async () => {
    const admin = await device();
    const stays = await device();
    const removed = await device();
    extra.push(admin, stays, removed);
    const { conversationId } = await admin.client.createGroup('plans', [stays.userId, removed.userId]);
    await stays.client.watchPresence([], conversationId);
    await removed.client.watchPresence([], conversationId);
    await admin.client.setTyping(conversationId, 'typing');
    await eventually(async () => removed.typing.length > 0, 10_000, 'a member hears typing');
    await admin.client.removeMember(conversationId, removed.userId);
    const heard = removed.typing.length;
    const stayHeard = stays.typing.length;
    await admin.client.setTyping(conversationId, 'recording');
    await eventually(
      async () => stays.typing.slice(stayHeard).some((t) => t.state === 'recording'),
      10_000,
      'the remaining member hears it',
    );
    await quietPeriod(REMOVED_QUIET_MS);
    // Only what was sent after the removal counts: the SDK itself ends the earlier indicator with a
    // 'stopped' once its TTL passes, which a slow run reaches.
    assert.deepEqual(
      removed.typing.slice(heard).filter((t) => t.state !== 'stopped'),
      [],
      'nothing reaches the removed member',
    );
  });
});
