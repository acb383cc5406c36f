import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BlockList, TypingState } from '#libs/protocol';
import { eventually } from '../support/app-process.js';
import { ChatStack } from '../support/chat-stack.js';
import { linkDevice, signUp, type TestDevice } from '../support/chat-users.js';
import { refused } from '../media/media-helpers.js';
import { chatctl } from '../support/chatctl.js';

let stack: ChatStack;
let directWithBob = '';
let alice: TestDevice, aliceLaptop: TestDevice, bob: TestDevice, carol: TestDevice;
const blockFrames: BlockList[] = [];
const typingHeard = new Map<string, Array<{ userId: string; state: TypingState }>>();

function hearTyping(d: TestDevice): void {
  const heard: Array<{ userId: string; state: TypingState }> = [];
  typingHeard.set(d.userId, heard);
  d.chat.on('typing', (t) => heard.push({ userId: t.userId, state: t.state }));
}

const texts = (d: TestDevice, conversationId: string): string[] =>
  d.messages.filter((m) => m.conversationId === conversationId).map((m) => m.text);

describe('block: withheld direct messages, hidden presence and profile, no typing, no group adds', () => {
  before(async () => {
    stack = await ChatStack.start();
    [alice, bob, carol] = await Promise.all([signUp(stack), signUp(stack), signUp(stack)]);
    aliceLaptop = await linkDevice(stack, alice);
    await Promise.all([alice, aliceLaptop, bob, carol].map((d) => d.connect()));
    aliceLaptop.chat.on('blocks', (b) => blockFrames.push(b));
    for (const d of [alice, bob, carol]) hearTyping(d);
    await alice.chat.setProfile({ about: 'only for friends' });
  });
  after(async () => {
    await Promise.all([alice, aliceLaptop, bob, carol].map((d) => d?.disconnect().catch(() => undefined)));
    await stack.stop();
  });

  test('the block list reaches every device of the blocker, live and on request', async () => {
    const list = await alice.chat.block(bob.userId);
    assert.deepEqual(list.blocked, [bob.userId]);
    await eventually(
      async () => blockFrames.some((b) => b.blocked.includes(bob.userId)),
      10_000,
      'blocks frame',
    );
    assert.deepEqual((await aliceLaptop.chat.blockList()).blocked, [bob.userId]);
    // Blocking twice records nothing new; oneself cannot be blocked.
    assert.equal((await alice.chat.block(bob.userId)).version, list.version);
    await refused(alice.chat.block(alice.userId), 'VALIDATION_FAILED');
  });

  test("a blocked user's direct message gets SENT but never reaches the blocker; the blocker keeps old history", async () => {
    const { conversationId } = await carol.chat.openDirect(alice.userId); // no block here: a control
    const direct = (await bob.chat.openDirect(alice.userId)).conversationId;
    directWithBob = direct;
    await alice.chat.unblock(bob.userId);
    await bob.chat.send(direct, 'before the block');
    await alice.waitForMessages(direct, 1);
    await aliceLaptop.waitForMessages(direct, 1);
    await aliceLaptop.disconnect(); // offline while it is sent: what it gets at sync is checked below
    await alice.chat.block(bob.userId);

    const sent = await bob.chat.send(direct, 'while blocked');
    assert.ok(sent.messageId, 'the sender gets its SENT');
    await alice.chat.unblock(bob.userId);
    await bob.chat.send(direct, 'after the unblock');
    // Messages of one conversation are applied in log order: once the later one is in, the withheld
    // one would have been too.
    await alice.waitForMessages(direct, 2);
    assert.deepEqual(texts(alice, direct), ['before the block', 'after the unblock']);
    await aliceLaptop.connect();
    await aliceLaptop.waitForMessages(direct, 2);
    assert.deepEqual(texts(aliceLaptop, direct), ['before the block', 'after the unblock'], 'nor at sync');

    const mine = (await alice.chat.history(direct)).messages.map((m) => m.text);
    assert.deepEqual(mine, ['before the block', 'after the unblock'], 'history hides it from the blocker');
    const his = (await bob.chat.history(direct)).messages.map((m) => m.text);
    assert.deepEqual(his, ['before the block', 'while blocked', 'after the unblock'], 'the sender keeps it');

    // The blocker's own messages still go out, and a stranger's chat is untouched.
    await carol.chat.send(conversationId, 'unrelated');
    await alice.waitForMessages(conversationId, 1);
  });

  test('the blocked user sees neither presence nor about and avatar of the blocker; the name stays', async () => {
    await alice.chat.block(bob.userId);
    await refused(bob.chat.watchPresence([alice.userId]), 'PRESENCE_HIDDEN');
    const [seen] = await bob.chat.getProfiles([alice.userId]);
    assert.equal(seen?.about, undefined);
    assert.deepEqual(seen?.visible, { avatar: false, about: false });
    assert.ok(seen?.displayName, 'the display name is seen by everyone');
    const [byCarol] = await carol.chat.getProfiles([alice.userId]);
    assert.equal(byCarol?.about, 'only for friends', 'others still see it');
    assert.ok((await carol.chat.watchPresence([alice.userId])).length === 1);
  });

  test('the blocked user cannot add the blocker to groups (BLOCKED); others can', async () => {
    await refused(bob.chat.createGroup('trap', [alice.userId, carol.userId]), 'BLOCKED');
    const { conversationId } = await bob.chat.createGroup('plans', [carol.userId]);
    await refused(bob.chat.addMembers(conversationId, [alice.userId]), 'BLOCKED');
    await bob.chat.promote(conversationId, carol.userId);
    await carol.chat.addMembers(conversationId, [alice.userId]); // carol is not blocked: she may
    const info = await alice.chat.groupInfo(conversationId);
    assert.ok(info.members.some((m) => m.userId === alice.userId));
  });

  test('typing goes neither way between blocker and blocked; the third member hears both', async () => {
    const { conversationId } = await carol.chat.createGroup('trio', [alice.userId, bob.userId]);
    await Promise.all([alice, bob, carol].map((d) => d.chat.watchPresence([], conversationId)));
    await bob.chat.setTyping(conversationId, 'typing');
    await alice.chat.setTyping(conversationId, 'recording');
    await carol.chat.setTyping(conversationId, 'typing');
    const heard = (d: TestDevice, who: TestDevice): boolean =>
      typingHeard.get(d.userId)!.some((t) => t.userId === who.userId && t.state !== 'stopped');
    // Carol's indicator went out last: once both hear it, the earlier ones were judged.
    await eventually(async () => heard(alice, carol) && heard(bob, carol), 10_000, 'carol heard');
    await eventually(async () => heard(carol, bob) && heard(carol, alice), 10_000, 'carol hears both');
    assert.equal(heard(alice, bob), false, 'the blocker does not hear the blocked');
    assert.equal(heard(bob, alice), false, 'the blocked does not hear the blocker');
  });

  test('after unblocking, presence and profile come back', async () => {
    await alice.chat.unblock(bob.userId);
    assert.deepEqual((await alice.chat.blockList()).blocked, []);
    assert.equal((await bob.chat.watchPresence([alice.userId])).length, 1);
    const [seen] = await bob.chat.getProfiles([alice.userId]);
    assert.equal(seen?.about, 'only for friends');
  });

  test('a rebuild of the conversations read model withholds the same message again', async () => {
    const r = await chatctl(stack.env, ['rebuild', 'conversations', '--by', 'block-test'], 120_000);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /readers switched to v2/);
    const mine = (await alice.chat.history(directWithBob)).messages.map((m) => m.text);
    assert.deepEqual(mine, ['before the block', 'after the unblock']);
    const his = (await bob.chat.history(directWithBob)).messages.map((m) => m.text);
    assert.deepEqual(his, ['before the block', 'while blocked', 'after the unblock']);
  });
});
