import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCassandraClient, type CqlClient } from '#libs/cassandra';
import type { UserEvent } from '#libs/events';
import { NatsClient, readStream, userStreamName } from '#libs/nats';
import type { HistoryMessage } from '#libs/protocol';
import { ConversationPrefsStore } from '#libs/read-models';
import { createS3Client, ObjectStore } from '#libs/s3';
import { eventually } from '../support/app-process.js';
import { ChatStack } from '../support/chat-stack.js';
import { linkDevice, signUpMany, type TestDevice } from '../support/chat-users.js';
import { chatctl, projectorCaughtUp } from '../support/chatctl.js';
import { assertRebuiltEqualsLive, tableRows } from '../support/rows.js';
import { testVault } from '../support/vault.js';
import { inHistory, preview, sent, updateOn } from './action-helpers.js';
import { fileOf, httpOf, putTo, refused, sendMediaTo, sha256, upload } from '../media/media-helpers.js';
import { mp4Of } from '../media/mp4-file.js';
import sharp from 'sharp';
import { pngOf } from '../people/people-helpers.js';

let stack: ChatStack;
let cql: CqlClient;
let store: ObjectStore;
let ann: TestDevice, bob: TestDevice, bob2: TestDevice, carol: TestDevice;
let direct: string;
let group: string;

/** Waits until history shows the message as `check` wants it (the projection writes after the live frame). */
async function historyShows(
  d: TestDevice,
  conversationId: string,
  messageId: string,
  check: (m: HistoryMessage | undefined) => boolean,
  what: string,
): Promise<HistoryMessage | undefined> {
  let last: HistoryMessage | undefined;
  await eventually(async () => check((last = await inHistory(d, conversationId, messageId))), 20_000, what);
  return last;
}

describe('message actions: edit, delete for everyone, delete for me (real stack)', () => {
  before(async () => {
    stack = await ChatStack.start({ overrides: { MEDIA_SWEEP_INTERVAL_MS: '250' } });
    cql = createCassandraClient(stack.env.cassandra);
    store = new ObjectStore(createS3Client(stack.env.s3), stack.env.s3.S3_BUCKET);
    [ann, bob, carol] = (await signUpMany(stack, 3)) as [TestDevice, TestDevice, TestDevice];
    bob2 = await linkDevice(stack, bob);
    await Promise.all([ann, bob, bob2, carol].map((d) => d.connect()));
    ({ conversationId: direct } = await ann.chat.openDirect(bob.userId));
    ({ conversationId: group } = await ann.chat.createGroup('Actions', [bob.userId, carol.userId]));
  });
  after(async () => {
    await Promise.all([ann, bob, bob2, carol].map((d) => d.disconnect()));
    store?.client.destroy();
    await cql?.shutdown();
    await stack?.stop();
  });

  test('edit: live to every member device, latest text marked edited in history and the list, idempotent, receipts kept', async () => {
    const id = await sent(ann, bob, direct, 'helo wrold');
    await eventually(
      async () => (await ann.chat.messageInfo(direct, id)).members[0]?.deliveredAt !== undefined,
      20_000,
      'delivered',
    );

    const r = await ann.chat.editMessage(direct, id, { text: 'hello world' }, 'edit-1');
    assert.equal(r.action, 'edited');
    assert.equal(r.duplicate, false);
    for (const d of [bob, bob2]) {
      const u = await updateOn(d, id, 'edited');
      assert.equal(u.text, 'hello world');
      assert.equal(u.userId, ann.userId);
      assert.equal(u.at, r.at);
    }
    const again = await ann.chat.editMessage(direct, id, { text: 'hello world' }, 'edit-1');
    assert.deepEqual(again, { ...r, duplicate: true });

    const m = await historyShows(bob, direct, id, (x) => x?.text === 'hello world', 'edited in history');
    assert.equal(m?.editedAt, r.at);
    assert.equal((await preview(bob, direct))?.text, 'hello world');
    assert.equal((await preview(ann, direct))?.editedAt, r.at);
    // The edit is no new message and leaves the ticks as they were.
    assert.equal(bob.of(direct).filter((x) => x.messageId === id).length, 1);
    assert.ok((await ann.chat.messageInfo(direct, id)).members[0]?.deliveredAt);
  });

  test('edit refusals change nothing: not the sender, not a member, a caption on a text, no such message', async () => {
    const id = await sent(ann, bob, direct, 'mine');
    await refused(bob.chat.editMessage(direct, id, { text: 'yours' }), 'NOT_THE_SENDER');
    await refused(carol.chat.editMessage(direct, id, { text: 'hers' }), 'NOT_A_MEMBER');
    await refused(ann.chat.editMessage(direct, id, { caption: 'a caption' }), 'VALIDATION_FAILED');
    await refused(ann.chat.editMessage(direct, '123456789', { text: 'ghost' }), 'NOT_FOUND');
    const m = await historyShows(bob, direct, id, (x) => x !== undefined, 'mine in history');
    assert.equal(m?.text, 'mine');
    assert.equal(m?.editedAt, undefined);
    assert.ok(!bob.updates.some((u) => u.messageId === id));
  });

  test('delete for everyone: placeholder live, in history, in the list; media object deleted; undelivered inbox entries emptied', async () => {
    // bob2 is offline while a message is sent and deleted: its inbox entry must lose the content.
    await bob2.disconnect();
    const secret = await sent(ann, bob, direct, 'a secret to take back');
    const del = await ann.chat.deleteMessage(direct, secret, true, 'del-1');
    assert.equal(del.action, 'deleted');
    const u = await updateOn(bob, secret, 'deleted');
    assert.equal(u.byAdmin, false);
    const m = await historyShows(bob, direct, secret, (x) => x?.deleted !== undefined, 'deleted in history');
    assert.equal(m?.text, '');
    assert.deepEqual(m?.deleted, { byUserId: ann.userId, byAdmin: false, at: del.at });
    const p = await preview(ann, direct);
    assert.equal(p?.messageId, secret);
    assert.equal(p?.text, '');
    assert.ok(p?.deleted);
    assert.equal((await ann.chat.deleteMessage(direct, secret, true, 'del-1')).duplicate, true);
    await refused(ann.chat.editMessage(direct, secret, { text: 'back' }), 'NOT_FOUND');

    await bob2.connect();
    await updateOn(bob2, secret, 'deleted');
    const got = bob2.of(direct).find((x) => x.messageId === secret);
    assert.ok(got, 'the message arrives through sync');
    assert.equal(got.text, '');
    assert.ok(got.deleted, 'as its placeholder');
    assert.ok(!JSON.stringify(bob2.messages).includes('a secret'), 'no content reached the offline device');

    // Media: the object goes once no message references it.
    const mediaId = await upload(stack, ann, 'image', 'image/png', fileOf('image/png', 4096));
    const pic = await sendMediaTo(ann, bob, direct, mediaId, { caption: 'a picture' });
    const cap = await ann.chat.editMessage(direct, pic.messageId, { caption: 'a better caption' });
    assert.equal((await updateOn(bob, pic.messageId, 'edited')).caption, 'a better caption');
    await historyShows(
      bob,
      direct,
      pic.messageId,
      (x) => x?.media?.caption === 'a better caption',
      'caption',
    );
    assert.equal((await inHistory(bob, direct, pic.messageId))?.editedAt, cap.at);
    await ann.chat.deleteMessage(direct, pic.messageId, true);
    const gone = await historyShows(
      bob,
      direct,
      pic.messageId,
      (x) => x?.deleted !== undefined,
      'media deleted',
    );
    assert.equal(gone?.media, undefined);
    await eventually(
      async () => (await store.head(`media/image/${mediaId}`)) === undefined,
      20_000,
      'object deleted',
    );
    await assert.rejects(
      httpOf(stack).mediaDownloadUrl(bob.tokens.accessToken, mediaId, direct, pic.messageId),
      'no download of a deleted message',
    );
  });

  test('delete for everyone in a group: an admin deletes any message (byAdmin), a member only their own', async () => {
    const bobs = await sent(bob, carol, group, 'off topic');
    const anns = await sent(ann, carol, group, 'admin says');
    await refused(carol.chat.deleteMessage(group, anns, true), 'NOT_AN_ADMIN');
    await refused(carol.chat.deleteMessage(direct, anns, true), 'NOT_A_MEMBER');
    // Carol has it live; the row comes after the frame, so wait for it in history.
    await historyShows(carol, group, anns, (x) => x?.text === 'admin says', 'admin says in history');

    await ann.chat.deleteMessage(group, bobs, true);
    for (const d of [bob, bob2, carol]) assert.equal((await updateOn(d, bobs, 'deleted')).byAdmin, true);
    const m = await historyShows(carol, group, bobs, (x) => x?.deleted !== undefined, 'removed by an admin');
    assert.deepEqual(m?.deleted?.byAdmin, true);
  });

  test("delete for me: hidden on the user's own devices only, in history and the list", async () => {
    const id = await sent(ann, bob, direct, 'hide me');
    const r = await bob.chat.deleteMessage(direct, id, false, 'hide-1');
    assert.equal(r.action, 'hidden');
    await updateOn(bob2, id, 'hidden');
    await eventually(async () => (await inHistory(bob, direct, id)) === undefined, 20_000, 'hidden for bob');
    assert.equal(await inHistory(bob2, direct, id), undefined);
    // Hidden for bob also reads as absent before the row is written: the sender's history shows it is.
    await historyShows(ann, direct, id, (x) => x?.text === 'hide me', "hide me in ann's history");
    assert.equal(await preview(bob, direct), undefined);
    assert.equal((await preview(ann, direct))?.messageId, id);
    assert.ok(!ann.updates.some((u) => u.messageId === id), 'the other member hears nothing');
    assert.equal((await bob.chat.deleteMessage(direct, id, false, 'hide-1')).duplicate, true);
  });

  test('reactions: one emoji per member, replaced and removed, counts and who in history; reaches the sender like a receipt, and offline devices through sync', async () => {
    const id = await sent(ann, carol, group, 'react to me');
    const r = await bob.chat.react(group, id, '👍', 'react-1');
    assert.equal(r.action, 'reacted');
    for (const d of [ann, bob2, carol]) assert.equal((await updateOn(d, id, 'reacted')).emoji, '👍');
    assert.equal((await bob.chat.react(group, id, '👍', 'react-1')).duplicate, true);

    await carol.chat.react(group, id, '❤️');
    await bob.chat.react(group, id, '❤️'); // replaces bob's 👍
    const both = [bob.userId, carol.userId].sort();
    await historyShows(
      ann,
      group,
      id,
      (m) => JSON.stringify(m?.reactions) === JSON.stringify([{ emoji: '❤️', count: 2, userIds: both }]),
      'two hearts',
    );

    // Carol is offline while her reaction is removed from another action and bob reacts again.
    await carol.disconnect();
    const removed = await ann.chat.react(group, id, '😂');
    await bob.chat.react(group, id, undefined);
    await historyShows(
      ann,
      group,
      id,
      (m) =>
        JSON.stringify(m?.reactions) ===
        JSON.stringify([
          { emoji: '❤️', count: 1, userIds: [carol.userId] },
          { emoji: '😂', count: 1, userIds: [ann.userId] },
        ]),
      'a heart and a laugh',
    );
    await carol.connect();
    await eventually(
      async () =>
        carol.updates.some((u) => u.messageId === id && u.userId === ann.userId && u.at === removed.at) &&
        carol.updates.some((u) => u.messageId === id && u.userId === bob.userId && u.emoji === undefined),
      20_000,
      'reactions through sync',
    );

    await refused(bob.chat.react(group, id, 'ok'), 'VALIDATION_FAILED');
    await refused(bob.chat.react(group, id, '👍👍'), 'VALIDATION_FAILED');
    const theirs = await sent(ann, bob, direct, 'just us');
    await refused(carol.chat.react(direct, theirs, '👍'), 'NOT_A_MEMBER');
    assert.equal((await inHistory(bob, direct, theirs))?.reactions, undefined);
  });

  test('forwarding: a forwarded mark and count, "forwarded many times" from the fifth hop and then one chat at a time; media reuses the object', async () => {
    // Carol is offline when the first copy reaches the group: she gets it through sync.
    await carol.disconnect();
    const original = await sent(ann, bob, direct, 'pass it on');
    const first = await ann.chat.forward(direct, original, [
      { conversationId: group, clientMessageId: 'fwd-1' },
    ]);
    const copy = first.forwards[0]!;
    assert.equal(copy.conversationId, group);
    await eventually(
      async () => bob.of(group).some((m) => m.messageId === copy.messageId),
      20_000,
      'live copy',
    );
    const live = bob.of(group).find((m) => m.messageId === copy.messageId)!;
    assert.equal(live.text, 'pass it on');
    assert.equal(live.forwardCount, 1);
    assert.equal(live.forwardedManyTimes, undefined);
    await carol.connect();
    await eventually(
      async () => carol.of(group).some((m) => m.messageId === copy.messageId),
      20_000,
      'synced copy',
    );
    assert.equal(carol.of(group).find((m) => m.messageId === copy.messageId)?.forwardCount, 1);
    const again = await ann.chat.forward(direct, original, [
      { conversationId: group, clientMessageId: 'fwd-1' },
    ]);
    assert.deepEqual(again.forwards[0], { ...copy, duplicate: true });

    // Hops 2..5 (each forwards the previous copy); the fifth is "forwarded many times".
    let hop = copy;
    for (let n = 2; n <= 5; n++) {
      const from = hop.conversationId;
      hop = (await bob.chat.forward(from, hop.messageId, [n % 2 === 0 ? direct : group])).forwards[0]!;
    }
    const fifth = await historyShows(
      bob,
      hop.conversationId,
      hop.messageId,
      (m) => m !== undefined,
      'fifth hop',
    );
    assert.equal(fifth?.forwardCount, 5);
    assert.equal(fifth?.forwardedManyTimes, true);
    await refused(
      bob.chat.forward(hop.conversationId, hop.messageId, [direct, group]),
      'FORWARDED_MANY_TIMES',
    );
    const sixth = (await bob.chat.forward(hop.conversationId, hop.messageId, [group])).forwards[0]!;
    const six = await historyShows(carol, group, sixth.messageId, (m) => m !== undefined, 'sixth hop');
    assert.equal(six?.forwardCount, 6);
    assert.equal(six?.forwardedManyTimes, true);

    // Media: the copy names the same stored object, and its members may download it.
    const mediaId = await upload(stack, ann, 'image', 'image/png', fileOf('image/png', 2048));
    const pic = await sendMediaTo(ann, bob, direct, mediaId, { caption: 'look' });
    const fwd = (await bob.chat.forward(direct, pic.messageId, [group])).forwards[0]!;
    await eventually(
      async () => carol.of(group).some((m) => m.messageId === fwd.messageId),
      20_000,
      'media copy',
    );
    const got = carol.of(group).find((m) => m.messageId === fwd.messageId)!;
    assert.equal(got.media?.mediaId, mediaId);
    assert.equal(got.media?.caption, 'look');
    assert.equal(got.forwardCount, 1);
    const url = await httpOf(stack).mediaDownloadUrl(carol.tokens.accessToken, mediaId, group, fwd.messageId);
    assert.equal((await fetch(url.url)).status, 200);

    // Refusals send nothing: a stranger's source, a chat the caller is not in, too many chats.
    const before = carol.of(direct).length;
    await refused(carol.chat.forward(direct, original, [group]), 'NOT_A_MEMBER');
    const { conversationId: annCarol } = await ann.chat.openDirect(carol.userId);
    const groupCount = carol.of(group).length;
    await refused(bob.chat.forward(direct, original, [group, annCarol]), 'NOT_A_MEMBER');
    await refused(
      ann.chat.forward(direct, original, [group, annCarol, direct, 'x1', 'x2', 'x3']),
      'VALIDATION_FAILED',
    );
    await refused(ann.chat.forward(direct, '123456789', [group]), 'NOT_FOUND');
    // A copy sent by mistake would reach Carol before a later message of the group.
    const marker = await ann.chat.send(group, 'after the refusals');
    await carol.waitForMessage(marker.messageId);
    assert.equal(carol.of(group).length, groupCount + 1);
    assert.equal(carol.of(direct).length, before);
  });

  test('location: a point with name and address; live location moved and stopped as edits of one message', async () => {
    const place = {
      latitude: 48.85837,
      longitude: 2.294481,
      name: 'Eiffel Tower',
      address: 'Champ de Mars, Paris',
    };
    const { messageId: pin } = await ann.chat.sendLocation(direct, place);
    await eventually(async () => bob.of(direct).some((m) => m.messageId === pin), 20_000, 'location');
    const got = bob.of(direct).find((m) => m.messageId === pin)!;
    assert.deepEqual(got.location, place);
    assert.equal(got.text, '');
    assert.deepEqual((await historyShows(bob, direct, pin, (m) => m !== undefined, 'pin'))?.location, place);
    assert.deepEqual((await preview(ann, direct))?.location, place);
    await refused(ann.chat.sendLocation(direct, { latitude: 91, longitude: 0 }), 'VALIDATION_FAILED');
    await refused(ann.chat.sendLocation(direct, { latitude: 0, longitude: -180.5 }), 'VALIDATION_FAILED');
    await refused(
      ann.chat.editMessage(direct, pin, { location: { latitude: 1, longitude: 1 } }),
      'VALIDATION_FAILED',
    );

    const live = await ann.chat.sendLocation(direct, {
      latitude: 52.52,
      longitude: 13.405,
      liveSeconds: 600,
    });
    await eventually(async () => bob2.of(direct).some((m) => m.messageId === live.messageId), 20_000, 'live');
    const until = bob2.of(direct).find((m) => m.messageId === live.messageId)!.location?.liveUntil;
    assert.equal(until, new Date(new Date(live.sentAt).getTime() + 600_000).toISOString());
    await ann.chat.editMessage(direct, live.messageId, { location: { latitude: 52.521, longitude: 13.41 } });
    assert.deepEqual((await updateOn(bob, live.messageId, 'edited')).location, {
      latitude: 52.521,
      longitude: 13.41,
    });
    await refused(
      bob.chat.editMessage(direct, live.messageId, { location: { latitude: 1, longitude: 1 } }),
      'NOT_THE_SENDER',
    );
    // bob2 is offline when sharing stops: the stop reaches it through sync.
    await bob2.disconnect();
    await ann.chat.editMessage(direct, live.messageId, { stopLive: true });
    await bob2.connect();
    await eventually(
      async () => bob2.updates.some((u) => u.messageId === live.messageId && u.liveStopped === true),
      20_000,
      'stop through sync',
    );
    const stopped = await historyShows(
      bob,
      direct,
      live.messageId,
      (m) => m?.location?.liveStopped === true,
      'stopped',
    );
    assert.deepEqual(stopped?.location, {
      latitude: 52.521,
      longitude: 13.41,
      liveUntil: until,
      liveStopped: true,
    });
    await refused(
      ann.chat.editMessage(direct, live.messageId, { location: { latitude: 1, longitude: 1 } }),
      'ACTION_WINDOW_OVER',
    );
  });

  test("starred, archived, pinned (at most 3) and muted: the user's own, synced to all their devices, and replayed from the log alike", async () => {
    const { conversationId: bobCarol } = await bob.chat.openDirect(carol.userId);
    const { conversationId: second } = await bob.chat.createGroup('Second', [carol.userId]);
    const star = await sent(ann, bob, direct, 'keep this');
    await bob.chat.star(direct, star);
    await eventually(
      async () => (await bob2.chat.starredList()).messages.some((m) => m.message.messageId === star),
      20_000,
      'starred on the other device',
    );
    const listed = (await bob2.chat.starredList()).messages.find((m) => m.message.messageId === star)!;
    assert.equal(listed.message.text, 'keep this');
    assert.deepEqual((await ann.chat.starredList()).messages, [], 'stars are per user');
    await refused(carol.chat.star(direct, star), 'NOT_A_MEMBER');
    await refused(bob.chat.star(direct, '123456789'), 'NOT_FOUND');

    await bob.chat.archive(direct);
    for (const id of [group, bobCarol, second]) await bob.chat.pin(id);
    await refused(bob.chat.pin(direct), 'PIN_LIMIT');
    await httpOf(stack).muteConversation(bob.tokens.accessToken, group);
    await eventually(
      async () => {
        const list = (await bob2.chat.listConversations()).conversations;
        const of = (id: string) => list.find((c) => c.conversationId === id);
        return (
          of(direct)?.archived === true &&
          of(group)?.muted === true &&
          list.slice(0, 3).every((c) => c.pinned === true) &&
          new Set(list.slice(0, 3).map((c) => c.conversationId)).size === 3 &&
          of(direct)?.pinned === undefined
        );
      },
      20_000,
      'archived, pinned first, muted',
    );
    const annList = (await ann.chat.listConversations()).conversations;
    assert.equal(annList.find((c) => c.conversationId === direct)?.archived, undefined, "not ann's archive");
    // Unpin one, then the fourth fits; unarchive; unstar.
    await bob.chat.pin(second, false);
    await bob.chat.pin(direct);
    await bob.chat.archive(direct, false);
    await bob.chat.star(direct, star, false);
    await eventually(
      async () => {
        const list = (await bob.chat.listConversations()).conversations;
        const d = list.find((c) => c.conversationId === direct);
        return (
          d?.pinned === true &&
          d.archived === undefined &&
          (await bob.chat.starredList()).messages.length === 0
        );
      },
      20_000,
      'changed back',
    );

    // The tables are the USERS events applied with their sequences: replayed into empty tables, the same rows.
    await projectorCaughtUp(stack.env);
    const tables = ['conversation_prefs', 'starred_messages'];
    await bob.chat.star(direct, star); // one star to compare
    await eventually(async () => (await bob.chat.starredList()).messages.length === 1, 20_000, 'star');
    const live = await Promise.all(tables.map((t) => tableRows(cql, t)));
    for (const t of tables) await cql.execute(`TRUNCATE ${t}`);
    const nats = await NatsClient.connect(stack.env.nats, 'prefs-replay');
    const { vault, close } = testVault(stack.env);
    const prefs = new ConversationPrefsStore(cql);
    try {
      for await (const m of readStream(nats.js, nats.jsm, userStreamName(nats.topology))) {
        const event = (await vault.decode(m.data)) as UserEvent;
        await prefs.apply(event, m.seq, new Date(event.occurredAt));
      }
    } finally {
      await close();
      await nats.close();
    }
    assert.deepEqual(await Promise.all(tables.map((t) => tableRows(cql, t))), live);
  });

  test('groups show when each member joined; a video longer than the cap is refused, declared or read from its header', async () => {
    const { conversationId: later } = await ann.chat.createGroup('Joiners', [bob.userId]);
    await ann.chat.addMembers(later, [carol.userId]);
    const info = await carol.chat.groupInfo(later);
    const joined = new Map(info.members.map((m) => [m.userId, m.joinedAt]));
    assert.ok(joined.get(ann.userId) && joined.get(ann.userId) === joined.get(bob.userId));
    assert.ok(
      joined.get(carol.userId)! > joined.get(ann.userId)!,
      'carol joined after the group was created',
    );

    // An icon through the media path: members see it in group.info, and a system message says so.
    const image = await pngOf(64, 64);
    const iconMedia = await upload(stack, bob, 'image', 'image/png', image);
    await bob.chat.setGroupIcon(later, iconMedia);
    const withIcon = await carol.chat.groupInfo(later);
    assert.equal(withIcon.icon?.iconId, iconMedia);
    // The icon is taken like an avatar: re-encoded (a centred square, no metadata), so its bytes differ.
    const icon = await sharp(Buffer.from(await (await fetch(withIcon.icon!.url)).arrayBuffer())).metadata();
    assert.deepEqual([icon.format, icon.width, icon.height], ['png', 64, 64]);
    await eventually(
      async () =>
        carol.of(later).some((m) => m.system?.kind === 'icon_changed' && m.system.actorUserId === bob.userId),
      20_000,
      'icon_changed',
    );
    await ann.chat.updateGroupSettings(later, { editInfo: 'admins' });
    await refused(bob.chat.setGroupIcon(later), 'NOT_AN_ADMIN');
    await refused(carol.chat.setGroupIcon(direct, iconMedia), 'NOT_A_MEMBER');
    await ann.chat.setGroupIcon(later);
    assert.equal((await bob.chat.groupInfo(later)).icon, undefined);

    // MEDIA_MAX_VIDEO_SECONDS is 180 here (the default).
    const http = httpOf(stack);
    const long = mp4Of(181);
    const slot = await http.createUpload(ann.tokens.accessToken, {
      kind: 'video',
      contentType: 'video/mp4',
      size: long.length,
      sha256: sha256(long),
    });
    assert.equal(await putTo(slot, long), 200);
    await refused(http.completeUpload(ann.tokens.accessToken, slot.mediaId), 'MEDIA_TOO_LONG');
    const fine = await upload(stack, ann, 'video', 'video/mp4', mp4Of(179));
    await refused(ann.chat.sendMedia(direct, { mediaId: fine, durationSeconds: 181 }), 'MEDIA_TOO_LONG');
    const ok = await ann.chat.sendMedia(direct, { mediaId: fine, durationSeconds: 179 });
    assert.equal(ok.duplicate, false);
  });

  test('a rebuild of the conversations read model from the log gives the same rows, and history reads the same', async () => {
    await projectorCaughtUp(stack.env);
    const before = await bob.chat.history(direct, { limit: 100 });
    const r = await chatctl(stack.env, ['rebuild', 'conversations', '--by', 'actions-test'], 120_000);
    assert.equal(r.code, 0, r.stderr);
    await assertRebuiltEqualsLive(cql, [
      'messagesByConversation',
      'messagesById',
      'conversationsByUser',
      'conversations',
    ]);
    assert.deepEqual(await bob.chat.history(direct, { limit: 100 }), before);
  });
});
