import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PresenceAudience, ProfileView } from '#libs/protocol';
import { eventually } from '../support/app-process.js';
import { ChatStack } from '../support/chat-stack.js';
import { signUp, type TestDevice } from '../support/chat-users.js';
import { fileOf, refused, upload } from '../media/media-helpers.js';
import sharp from 'sharp';
import {
  addToAddressBook,
  imageOf,
  pngHeaderOf,
  pngOf,
  profileSeenBy,
  waitForProfile,
} from './people-helpers.js';

let stack: ChatStack;
let alice: TestDevice, bob: TestDevice, carol: TestDevice;
const framesOf = new Map<string, ProfileView[]>();

function record(device: TestDevice): void {
  const frames: ProfileView[] = [];
  framesOf.set(device.userId, frames);
  device.chat.on('profile', (p) => frames.push(p));
}

describe('profiles: names, about, avatars, privacy per field, live frames and changes at sync', () => {
  before(async () => {
    // Two gateways: the live profile frame must cross from the one that appended to the viewer's.
    stack = await ChatStack.start({ gateways: 2, overrides: { PRESENCE_PRIVACY_CACHE_MS: '200' } });
    [alice, bob, carol] = await Promise.all([
      signUp(stack, stack.liveGateways[0], 'Alice'),
      signUp(stack, stack.liveGateways[1], 'Bob'),
      signUp(stack, stack.liveGateways[1], 'Carol'),
    ]);
    await alice.connect({ gateway: 0 });
    await Promise.all([bob.connect({ gateway: 1 }), carol.connect({ gateway: 1 })]);
    for (const d of [alice, bob, carol]) record(d);
    await addToAddressBook(stack, alice, bob); // bob is in alice's contact set; carol is a stranger to her
  });
  after(async () => {
    await Promise.all([alice, bob, carol].map((d) => d?.disconnect().catch(() => undefined)));
    await stack.stop();
  });

  test('a user without a display name cannot send; once named they can', async () => {
    const dana = await signUp(stack, stack.liveGateways[0], null);
    try {
      await dana.connect();
      const { conversationId } = await dana.chat.openDirect(bob.userId);
      await refused(dana.chat.send(conversationId, 'hello?'), 'PROFILE_NAME_REQUIRED');
      const me = await dana.chat.setProfile({ displayName: '  Dana  ' });
      assert.equal(me.displayName, 'Dana');
      await dana.chat.send(conversationId, 'hello!');
      await bob.waitForMessages(conversationId, 1);
    } finally {
      await dana.disconnect();
    }
  });

  test('bad names and about lines are refused and change nothing', async () => {
    for (const displayName of ['', '\u200b\u200b', 'x'.repeat(26), 'two\nlines'])
      await refused(alice.chat.setProfile({ displayName }), 'VALIDATION_FAILED');
    await refused(
      alice.chat.setProfile({ displayName: 'Alicia', about: 'y'.repeat(140) }),
      'VALIDATION_FAILED',
    );
    const [me] = await alice.chat.getProfiles([alice.userId]);
    assert.equal(me?.displayName, 'Alice');
  });

  test('about and avatar follow their audience: everyone, contacts (bob is in her address book), nobody', async () => {
    const mediaId = await upload(stack, alice, 'image', 'image/png', await pngOf(256, 256));
    const own = await alice.chat.setProfile({ about: 'at the lab', avatarMediaId: mediaId });
    assert.equal(own.about, 'at the lab');
    assert.equal(own.avatar?.avatarId, mediaId);

    const cases: Array<[PresenceAudience, boolean, boolean]> = [
      // audience, bob (contact) sees, carol (stranger) sees
      ['contacts', true, false],
      ['nobody', false, false],
      ['everyone', true, true],
    ];
    for (const [audience, bobSees, carolSees] of cases) {
      const settings = await alice.chat.setPrivacy({ avatar: audience, about: audience });
      assert.equal(settings.avatar, audience);
      assert.equal(settings.about, audience);
      for (const [viewer, sees] of [
        [bob, bobSees],
        [carol, carolSees],
      ] as const) {
        const seen = await waitForProfile(
          viewer,
          alice.userId,
          (p) => p !== undefined && p.visible.about === sees && p.visible.avatar === sees,
          `${audience}: ${viewer === bob ? 'bob' : 'carol'} sees=${sees}`,
        );
        assert.equal(seen?.displayName, 'Alice', 'the display name is seen by everyone');
        assert.equal(seen?.about, sees ? 'at the lab' : undefined);
        assert.equal(seen?.avatar?.avatarId, sees ? mediaId : undefined);
      }
      // The owner always sees their own.
      const mine = await profileSeenBy(alice, alice.userId);
      assert.equal(mine?.about, 'at the lab');
      assert.equal(mine?.avatar?.avatarId, mediaId);
    }
  });

  test('an avatar is an own image within the rules; replacing it deletes the old one', async () => {
    // The server's rule: a centred square of the shorter side, at most PROFILE_AVATAR_SIDE_PIXELS (512).
    const firstId = await upload(stack, alice, 'image', 'image/png', await pngOf(300, 128));
    const set = await alice.chat.setProfile({ avatarMediaId: firstId });
    const got = await fetch(set.avatar!.url);
    assert.equal(got.status, 200);
    const stored = await sharp(Buffer.from(await got.arrayBuffer())).metadata();
    assert.deepEqual([stored.format, stored.width, stored.height], ['png', 128, 128]);
    const big = await upload(stack, alice, 'image', 'image/jpeg', await imageOf(1000, 700, 'jpeg'));
    const scaled = await alice.chat.setProfile({ avatarMediaId: big });
    const bigStored = await sharp(
      Buffer.from(await (await fetch(scaled.avatar!.url)).arrayBuffer()),
    ).metadata();
    assert.deepEqual([bigStored.format, bigStored.width, bigStored.height], ['jpeg', 512, 512]);
    const garbled = await upload(stack, alice, 'image', 'image/png', pngHeaderOf(64, 64));
    await refused(alice.chat.setProfile({ avatarMediaId: garbled }), 'MEDIA_TYPE_NOT_ALLOWED');

    const secondId = await upload(stack, alice, 'image', 'image/png', await pngOf(64, 64));
    const replaced = await alice.chat.setProfile({ avatarMediaId: secondId });
    assert.equal(replaced.avatar?.avatarId, secondId);
    await eventually(async () => (await fetch(set.avatar!.url)).status === 404, 20_000, 'old avatar deleted');
    await eventually(
      async () => (await fetch(scaled.avatar!.url)).status === 404,
      20_000,
      'and the one after',
    );
    assert.equal((await fetch(replaced.avatar!.url)).status, 200);

    const huge = await upload(stack, alice, 'image', 'image/png', await pngOf(4000, 3000));
    await refused(alice.chat.setProfile({ avatarMediaId: huge }), 'MEDIA_TOO_LARGE');
    const pdf = await upload(stack, alice, 'document', 'application/pdf', fileOf('application/pdf', 2048));
    await refused(alice.chat.setProfile({ avatarMediaId: pdf }), 'MEDIA_TYPE_NOT_ALLOWED');
    const bobs = await upload(stack, bob, 'image', 'image/png', await pngOf(64, 64));
    await refused(alice.chat.setProfile({ avatarMediaId: bobs }), 'MEDIA_NOT_ACCESSIBLE');
    assert.equal(
      (await profileSeenBy(alice, alice.userId))?.avatar?.avatarId,
      secondId,
      'refusals change nothing',
    );

    const removed = await alice.chat.setProfile({ removeAvatar: true });
    assert.equal(removed.avatar, undefined);
    await eventually(
      async () => (await fetch(replaced.avatar!.url)).status === 404,
      20_000,
      'removed avatar deleted',
    );
  });

  test("a change reaches the user's contacts live on another gateway, not strangers", async () => {
    framesOf.get(bob.userId)!.length = 0;
    framesOf.get(carol.userId)!.length = 0;
    await alice.chat.setProfile({ about: 'live now' });
    await eventually(
      async () => framesOf.get(bob.userId)!.some((p) => p.userId === alice.userId && p.about === 'live now'),
      20_000,
      'bob gets the profile frame',
    );
    // Sent together: carol would have had hers by now.
    await alice.chat.ping();
    assert.deepEqual(framesOf.get(carol.userId), []);
  });

  test('a contact that was offline learns the change with profile.changes', async () => {
    const { cursor: before } = await drain(bob);
    await bob.disconnect();
    await alice.chat.setProfile({ displayName: 'Alice B.' });
    await bob.connect({ gateway: 1 });
    let seen: ProfileView | undefined;
    await eventually(
      async () => {
        const r = await bob.chat.profileChanges(before);
        seen = r.profiles.find((p) => p.userId === alice.userId);
        return seen?.displayName === 'Alice B.';
      },
      20_000,
      'the change is listed',
    );
    const { cursor } = await drain(bob);
    const rest = await bob.chat.profileChanges(cursor);
    assert.deepEqual(rest.profiles, []);
    assert.equal(rest.complete, true);
    // Carol is not alice's contact: the change is not hers to learn.
    const carols = await drain(carol);
    assert.ok(!carols.userIds.includes(alice.userId));
  });
});

/** Reads every change after the start; the final cursor and who changed. */
async function drain(device: TestDevice): Promise<{ cursor: string; userIds: string[] }> {
  let cursor: string | undefined;
  const userIds: string[] = [];
  for (;;) {
    const r = await device.chat.profileChanges(cursor);
    userIds.push(...r.profiles.map((p) => p.userId));
    cursor = r.cursor;
    if (r.complete) return { cursor, userIds };
  }
}
