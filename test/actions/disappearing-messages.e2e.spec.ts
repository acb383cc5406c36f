import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCassandraClient, type CqlClient } from '#libs/cassandra';
import { conversationSubject, FORGOTTEN, type ChatEvent } from '#libs/events';
import { conversationStreamName, NatsClient, readStream } from '#libs/nats';
import type { DisappearingTimer } from '#libs/protocol';
import { createS3Client, ObjectStore } from '#libs/s3';
import { eventually, outlast, quietPeriod } from '../support/wait.js';
import { ChatStack } from '../support/chat-stack.js';
import { linkDevice, signUpMany, type TestDevice } from '../support/chat-users.js';
import { chatctl, projectorCaughtUp } from '../support/chatctl.js';
import { assertRebuiltEqualsLive } from '../support/rows.js';
import { testVault } from '../support/vault.js';
import { inHistory, preview, sent, updateOn } from './action-helpers.js';
import { fileOf, refused, sendMediaTo, upload } from '../media/media-helpers.js';

/** Every timer that is on lasts this long here (DISAPPEARING_TEST_SECONDS): long enough to see a message arrive. */
const SECONDS = 6;
/** The projector's expiry sweep in this stack. */
const SWEEP_MS = 250;
/** How long after its expiry a message may still be around: the sweep interval, a loaded machine's lag. */
const GONE_WITHIN_MS = (SECONDS + 20) * 1000;

let stack: ChatStack;
let cql: CqlClient;
let store: ObjectStore;
let ann: TestDevice, bob: TestDevice, bob2: TestDevice, carol: TestDevice;
let direct: string;
let group: string;

async function goneFromHistory(d: TestDevice, conversationId: string, messageId: string): Promise<void> {
  await eventually(
    async () => (await inHistory(d, conversationId, messageId)) === undefined,
    GONE_WITHIN_MS,
    `${messageId} gone from ${d.deviceId}'s history`,
  );
}

/** The system message of a timer change, as a device got it live. */
async function noticeOn(d: TestDevice, conversationId: string, messageId: string, timer: DisappearingTimer) {
  await eventually(
    async () =>
      d
        .of(conversationId)
        .some(
          (m) =>
            m.messageId === messageId &&
            m.system?.kind === 'disappearing_changed' &&
            m.system.disappearing?.timer === timer,
        ),
    20_000,
    `disappearing_changed ${timer} on ${d.deviceId}`,
  );
}

/** The events of a conversation's `.msg` subject as stored in the log, opened as the apps open them. */
async function messageEvents(conversationId: string): Promise<{ event: ChatEvent; raw: string }[]> {
  const nats = await NatsClient.connect(stack.env.nats, 'disappearing-log');
  const { vault, close } = testVault(stack.env); // a fresh key cache: keys as they are now
  const out: { event: ChatEvent; raw: string }[] = [];
  try {
    const stream = conversationStreamName(nats.topology, conversationId);
    const filterSubject = conversationSubject(nats.topology, conversationId, 'msg');
    for await (const m of readStream(nats.js, nats.jsm, stream, { filterSubject }))
      out.push({ event: await vault.decode(m.data), raw: new TextDecoder().decode(m.data) });
  } finally {
    await close();
    await nats.close();
  }
  return out;
}

describe('disappearing messages (real stack, a timer of seconds)', () => {
  before(async () => {
    stack = await ChatStack.start({
      overrides: {
        DISAPPEARING_TEST_SECONDS: String(SECONDS),
        DISAPPEARING_SWEEP_INTERVAL_MS: String(SWEEP_MS),
        MEDIA_SWEEP_INTERVAL_MS: '250',
      },
    });
    cql = createCassandraClient(stack.env.cassandra);
    store = new ObjectStore(createS3Client(stack.env.s3), stack.env.s3.S3_BUCKET);
    [ann, bob, carol] = (await signUpMany(stack, 3)) as [TestDevice, TestDevice, TestDevice];
    bob2 = await linkDevice(stack, bob);
    await Promise.all([ann, bob, bob2, carol].map((d) => d.connect()));
    ({ conversationId: direct } = await ann.chat.openDirect(bob.userId));
    ({ conversationId: group } = await ann.chat.createGroup('Vanishing', [bob.userId, carol.userId]));
  });
  after(async () => {
    await Promise.all([ann, bob, bob2, carol].map((d) => d.disconnect()));
    store?.client.destroy();
    await cql?.shutdown();
    await stack?.stop();
  });

  test('either member of a direct chat turns it on: a system message live, in history and the list; idempotent; conversation.get shows it', async () => {
    const r = await bob.chat.setDisappearing(direct, '24h', 'vanish-1');
    assert.deepEqual(
      { ...r, systemMessageId: '' },
      {
        conversationId: direct,
        timer: '24h',
        seconds: SECONDS,
        systemMessageId: '',
        duplicate: false,
      },
    );
    assert.deepEqual(await bob.chat.setDisappearing(direct, '24h', 'vanish-1'), { ...r, duplicate: true });
    for (const d of [ann, bob2]) await noticeOn(d, direct, r.systemMessageId, '24h');
    await eventually(
      async () => (await inHistory(ann, direct, r.systemMessageId))?.system?.actorUserId === bob.userId,
      20_000,
      'notice in history',
    );
    await eventually(
      async () => (await preview(ann, direct))?.messageId === r.systemMessageId,
      20_000,
      'notice in the list',
    );
    assert.equal(
      ann.of(direct).filter((m) => m.system?.kind === 'disappearing_changed').length,
      1,
      'one notice',
    );
    assert.deepEqual((await ann.chat.getConversation(direct)).disappearing, {
      timer: '24h',
      seconds: SECONDS,
    });
  });

  test('a message sent while it is on expires everywhere: live, history, the list, an offline device, the log, the object store', async () => {
    await bob2.disconnect(); // offline until after the expiry: must never get the messages
    const text = 'words that will vanish';
    const id = await sent(ann, bob, direct, text);
    const live = bob.of(direct).find((m) => m.messageId === id)!;
    assert.ok(live.expiresAt, 'the message says when it expires');
    assert.equal(new Date(live.expiresAt).getTime() - new Date(live.sentAt).getTime(), SECONDS * 1000);
    const mediaId = await upload(stack, ann, 'image', 'image/png', fileOf('image/png', 4096));
    const pic = await sendMediaTo(ann, bob, direct, mediaId, { caption: 'a vanishing picture' });
    assert.ok(await store.head(`media/image/${mediaId}`), 'the object is there while the message is');
    assert.equal((await inHistory(bob, direct, id))?.expiresAt, live.expiresAt);

    for (const m of [id, pic.messageId]) {
      for (const d of [ann, bob]) await updateOn(d, m, 'expired', GONE_WITHIN_MS);
      for (const d of [ann, bob]) await goneFromHistory(d, direct, m);
    }
    assert.ok(Date.now() >= new Date(live.expiresAt).getTime(), 'not before its time');
    for (const d of [ann, bob]) {
      const p = await preview(d, direct);
      assert.ok(
        p === undefined || ![id, pic.messageId].includes(p.messageId),
        'no preview of an expired message',
      );
    }
    await eventually(
      async () => (await store.head(`media/image/${mediaId}`)) === undefined,
      GONE_WITHIN_MS,
      'object',
    );
    await refused(ann.chat.editMessage(direct, id, { text: 'back' }), 'NOT_FOUND');
    await refused(bob.chat.react(direct, id, '👍'), 'NOT_FOUND');

    // The log keeps the events (seqs and receipts depend on them) but their content no longer opens.
    await eventually(
      async () => {
        const events = await messageEvents(direct);
        const stored = events.find((e) => e.event.type === 'MessageSent' && e.event.data.messageId === id);
        return stored?.event.type === 'MessageSent' && stored.event.data.content.type === 'text'
          ? stored.event.data.content.text === FORGOTTEN
          : false;
      },
      GONE_WITHIN_MS,
      'content key destroyed',
    );
    const events = await messageEvents(direct);
    assert.ok(!events.some((e) => e.raw.includes(text)), 'never stored in plaintext');
    const caption = events.find(
      (e) => e.event.type === 'MessageSent' && e.event.data.messageId === pic.messageId,
    );
    assert.ok(caption?.event.type === 'MessageSent' && caption.event.data.content.type === 'media');
    assert.equal(caption.event.data.content.caption, FORGOTTEN);
    assert.deepEqual(
      events
        .filter((e) => e.event.type === 'MessageExpired')
        .map((e) => e.event.type === 'MessageExpired' && e.event.data.messageId),
      [id, pic.messageId],
      'one MessageExpired each',
    );

    // The device offline all along: sync brings the expiries, never the messages.
    await bob2.connect();
    await updateOn(bob2, pic.messageId, 'expired', GONE_WITHIN_MS);
    assert.ok(!bob2.of(direct).some((m) => m.messageId === id || m.messageId === pic.messageId));
    assert.ok(!JSON.stringify(bob2.messages).includes('vanish'), 'no content reached the offline device');
  });

  test('a message keeps the timer it was sent under: after turning it off, new messages stay and the earlier one still goes', async () => {
    const before = await sent(bob, ann, direct, 'sent under the timer');
    const off = await ann.chat.setDisappearing(direct, 'off');
    assert.equal(off.seconds, 0);
    await noticeOn(bob, direct, off.systemMessageId, 'off');
    const kept = await sent(bob, ann, direct, 'sent after it was turned off');
    assert.equal(ann.of(direct).find((m) => m.messageId === kept)?.expiresAt, undefined);
    await updateOn(ann, before, 'expired', GONE_WITHIN_MS);
    await goneFromHistory(ann, direct, before);
    // The kept message must NOT expire: four sweeps after the earlier one's expiry, it is still there.
    await quietPeriod(4 * SWEEP_MS);
    assert.equal((await inHistory(ann, direct, kept))?.text, 'sent after it was turned off');
    assert.ok(!ann.updates.some((u) => u.messageId === kept));
    assert.equal((await ann.chat.getConversation(direct)).disappearing, undefined);
  });

  test('groups: any member while everyone may edit the info, else admins only; refusals change nothing', async () => {
    const on = await carol.chat.setDisappearing(group, '7d', 'group-vanish');
    for (const d of [ann, bob]) await noticeOn(d, group, on.systemMessageId, '7d');
    const id = await sent(bob, carol, group, 'a group secret');
    await ann.chat.updateGroupSettings(group, { editInfo: 'admins' });
    await refused(carol.chat.setDisappearing(group, 'off'), 'NOT_AN_ADMIN');
    await refused(carol.chat.setDisappearing(direct, '24h'), 'NOT_A_MEMBER');
    await refused(ann.chat.setDisappearing(group, '1h' as DisappearingTimer), 'VALIDATION_FAILED');
    assert.deepEqual((await bob.chat.getConversation(group)).disappearing, { timer: '7d', seconds: SECONDS });
    for (const d of [ann, bob, carol]) await updateOn(d, id, 'expired', GONE_WITHIN_MS);
    await goneFromHistory(carol, group, id);
    const off = await ann.chat.setDisappearing(group, 'off');
    await noticeOn(carol, group, off.systemMessageId, 'off');
    assert.equal(
      carol.of(group).filter((m) => m.system?.kind === 'disappearing_changed').length,
      2,
      'the refused changes posted nothing',
    );
  });

  test('enforced by the server with no device online and across a projector restart: the expiry index survives it', async () => {
    const { conversationId: quiet } = await ann.chat.openDirect(carol.userId);
    await ann.chat.setDisappearing(quiet, '90d');
    const id = await sent(ann, carol, quiet, 'nobody is watching');
    await eventually(
      async () => (await inHistory(carol, quiet, id))?.expiresAt !== undefined,
      20_000,
      'projected (and its expiry indexed)',
    );
    await Promise.all([ann.disconnect(), carol.disconnect()]);
    await stack.projector!.stop('SIGKILL');
    await outlast(SECONDS * 1000, 1000); // it expires while nothing runs
    await stack.startProjector();
    await carol.connect();
    await updateOn(carol, id, 'expired', GONE_WITHIN_MS); // through sync
    await goneFromHistory(carol, quiet, id);
    await ann.connect();
    await goneFromHistory(ann, quiet, id);
  });

  test('a rebuild of the conversations read model from the log gives the same rows, and history reads the same', async () => {
    await projectorCaughtUp(stack.env);
    const before = await bob.chat.history(direct, { limit: 100 });
    const r = await chatctl(stack.env, ['rebuild', 'conversations', '--by', 'disappearing-test'], 120_000);
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
