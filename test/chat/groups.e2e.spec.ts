import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ChatError, type ChatClient } from '#libs/client-sdk';
import { chatEventCodec, conversationSubject, type MessageSent } from '#libs/events';
import { EventStore, NatsClient } from '#libs/nats';
import type { InboxMessage } from '#libs/protocol';
import { eventually } from '../support/app-process.js';
import { quietPeriod } from '../support/wait.js';
import { ChatStack } from '../support/chat-stack.js';
import { signUpMany, type TestDevice } from '../support/chat-users.js';

/**
 * A removed member has no later message of the group to wait for, so her absence is a quiet period,
 * taken after the other members received the message: a copy to her would have gone out in that same
 * fan-out.
 */
const REMOVED_QUIET_MS = 500;

let stack: ChatStack;
let ann: TestDevice, bob: TestDevice, carol: TestDevice, dan: TestDevice, eve: TestDevice;
let extra: TestDevice[];
let group: string;

/** Resolves with the error code of a request that must fail. */
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ChatError, `expected a ChatError, got ${String(err)}`);
    return err.code;
  }
  assert.fail('the request succeeded');
}

const systemOf = (d: TestDevice, kind: string): InboxMessage[] =>
  d.of(group).filter((m) => m.system?.kind === kind);

async function version(): Promise<number> {
  return (await ann.chat.groupInfo(group)).version;
}

describe('group chats against the real stack', () => {
  before(async () => {
    stack = await ChatStack.start({ gateways: 2 });
    const users = await signUpMany(stack, 11);
    [ann, bob, carol, dan, eve] = users as [TestDevice, TestDevice, TestDevice, TestDevice, TestDevice];
    extra = users.slice(5);
    await Promise.all([ann, bob, carol, dan, eve].map((d, i) => d!.connect({ gateway: i % 2 })));
    ({ conversationId: group } = await ann!.chat.createGroup('Hikers', [bob!.userId, carol!.userId], {
      description: 'weekend walks',
    }));
  });
  after(async () => {
    await Promise.all([ann, bob, carol, dan, eve].map((d) => d.disconnect()));
    await stack.stop();
  });

  test('create: the creator is admin, every member gets the "created" system message as seq 1', async () => {
    const info = await bob.chat.groupInfo(group);
    assert.equal(info.subject, 'Hikers');
    assert.equal(info.description, 'weekend walks');
    assert.deepEqual(info.settings, { sendMessages: 'everyone', editInfo: 'everyone' });
    assert.deepEqual(
      info.members.map(({ userId, role }) => ({ userId, role })),
      [
        { userId: ann.userId, role: 'admin' },
        { userId: bob.userId, role: 'member' },
        { userId: carol.userId, role: 'member' },
      ],
    );
    // Everyone joined when the group was created (issue 19: join times in group.info).
    assert.ok(
      info.members.every((m) => m.joinedAt !== undefined && m.joinedAt === info.members[0]!.joinedAt),
    );
    for (const d of [ann, bob, carol]) {
      const [created] = await d.waitForMessages(group, 1);
      assert.equal(created?.seq, 1);
      assert.equal(created?.system?.kind, 'created');
      assert.equal(created?.system?.actorUserId, ann.userId);
    }
    await eventually(
      async () => {
        const list = (await bob.chat.listConversations()).conversations;
        const row = list.find((c) => c.conversationId === group);
        return row?.subject === 'Hikers' && row.kind === 'group' && row.members.length === 3;
      },
      20_000,
      "the group in bob's list",
    );
  });

  test('a message reaches every member but the sending device, with the next gap-free seq', async () => {
    const { messageId } = await ann.chat.send(group, 'hello hikers');
    for (const d of [bob, carol]) {
      const got = await d.waitForMessages(group, 2);
      assert.deepEqual(
        got.map((m) => [m.seq, m.messageId === messageId || m.system !== undefined]),
        [
          [1, true],
          [2, true],
        ],
      );
    }
  });

  test('bad input: each a clear code, and nothing changes', async () => {
    const v = await version();
    assert.equal(await codeOf(bob.chat.addMembers(group, [dan.userId])), 'NOT_AN_ADMIN');
    assert.equal(await codeOf(ann.chat.addMembers(group, [carol.userId])), 'ALREADY_A_MEMBER');
    assert.equal(await codeOf(ann.chat.removeMember(group, eve.userId)), 'NOT_A_MEMBER');
    assert.equal(await codeOf(eve.chat.send(group, 'let me in')), 'NOT_A_MEMBER');
    assert.equal(await codeOf(eve.chat.history(group)), 'NOT_A_MEMBER');
    assert.equal(await codeOf(ann.chat.createGroup('   ', [bob.userId])), 'VALIDATION_FAILED');
    assert.equal(await codeOf(ann.chat.createGroup('x'.repeat(101), [bob.userId])), 'VALIDATION_FAILED');
    assert.equal(await codeOf(ann.chat.updateGroupInfo(group, { subject: '' })), 'VALIDATION_FAILED');
    assert.equal(
      await codeOf(bob.chat.updateGroupSettings(group, { sendMessages: 'admins' })),
      'NOT_AN_ADMIN',
    );
    assert.equal(await codeOf(bob.chat.promote(group, carol.userId)), 'NOT_AN_ADMIN');
    assert.equal(await codeOf(ann.chat.addMembers(group, ['u_nobody'])), 'NOT_FOUND');
    assert.equal(await codeOf(ann.chat.send(group, 'hi', { mentions: [eve.userId] })), 'VALIDATION_FAILED');
    assert.equal(await version(), v, 'no rejected command changed the group');
    assert.equal((await ann.chat.groupInfo(group)).members.length, 3);
  });

  test('a member added later gets the "joined" message and sees history only from joining', async () => {
    await ann.chat.addMembers(group, [dan.userId]);
    const [joined] = await dan.waitForMessages(group, 1);
    assert.equal(joined?.system?.kind, 'joined');
    assert.deepEqual(joined?.system?.userIds, [dan.userId]);
    const { messageId } = await bob.chat.send(group, 'welcome dan');
    await dan.waitForMessages(group, 2);
    // Delivery goes first and the row after it: wait for the row before reading history.
    let history: Awaited<ReturnType<ChatClient['history']>>['messages'] = [];
    await eventually(
      async () => {
        history = (await dan.chat.history(group)).messages;
        return history.some((m) => m.messageId === messageId);
      },
      20_000,
      'welcome in history',
    );
    assert.deepEqual(
      history.map((m) => m.seq),
      [joined!.seq, joined!.seq + 1],
      'dan sees nothing from before he joined',
    );
    assert.equal(history[1]?.messageId, messageId);
    const older = (await bob.chat.history(group)).messages;
    assert.equal(older[0]?.seq, 1, 'bob, a founding member, sees it all');
  });

  test('a removed member learns of the removal and receives nothing sent after it', async () => {
    await ann.chat.removeMember(group, carol.userId);
    await eventually(async () => systemOf(carol, 'removed').length === 1, 20_000, 'carol sees her removal');
    const before = carol.of(group).length;
    const sent: string[] = [];
    for (let i = 0; i < 3; i++) sent.push((await ann.chat.send(group, `after carol ${i}`)).messageId);
    for (const d of [bob, dan]) {
      await eventually(
        async () => sent.every((id) => d.of(group).some((m) => m.messageId === id)),
        20_000,
        'members got them',
      );
    }
    await quietPeriod(REMOVED_QUIET_MS);
    assert.equal(carol.of(group).length, before, 'carol got nothing after her removal');
    assert.equal(await codeOf(carol.chat.send(group, 'still here?')), 'NOT_A_MEMBER');
    assert.equal(await codeOf(carol.chat.history(group)), 'NOT_A_MEMBER');
  });

  test('promote, demote, leave and settings, each with its system message', async () => {
    await ann.chat.promote(group, bob.userId);
    await bob.chat.addMembers(group, [eve.userId]);
    await ann.chat.demote(group, bob.userId);
    assert.equal(await codeOf(bob.chat.addMembers(group, [carol.userId])), 'NOT_AN_ADMIN');
    await ann.chat.updateGroupSettings(group, { sendMessages: 'admins' });
    assert.equal(await codeOf(dan.chat.send(group, 'may I?')), 'NOT_AN_ADMIN');
    await ann.chat.updateGroupSettings(group, { sendMessages: 'everyone' });
    await dan.chat.updateGroupInfo(group, { subject: 'Hikers & climbers' });
    await eve.chat.leaveGroup(group);
    for (const kind of ['promoted', 'demoted', 'settings_changed', 'renamed', 'left']) {
      await eventually(async () => systemOf(dan, kind).length >= 1, 20_000, `dan sees ${kind}`);
    }
    assert.equal(systemOf(dan, 'renamed')[0]?.system?.subject, 'Hikers & climbers');
    const seqs = dan.of(group).map((m) => m.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
      'in order',
    );
    assert.equal(new Set(seqs).size, seqs.length, 'each once');
    assert.equal(seqs.at(-1)! - seqs[0]! + 1, seqs.length, 'gap-free');
    const info = await ann.chat.groupInfo(group);
    assert.equal(info.subject, 'Hikers & climbers');
    assert.deepEqual(info.members.map((m) => m.userId).sort(), [ann.userId, bob.userId, dan.userId].sort());
  });

  test('two admins adding members at the same moment: every change applied once, none lost', async () => {
    await ann.chat.promote(group, bob.userId);
    const v = await version();
    const [fromAnn, fromBob] = [extra.slice(0, 3), extra.slice(3, 6)];
    const results = await Promise.all([
      ...fromAnn.map((u) => ann.chat.addMembers(group, [u.userId])),
      ...fromBob.map((u) => bob.chat.addMembers(group, [u.userId])),
    ]);
    const versions = results.map((r) => r.version);
    assert.equal(new Set(versions).size, 6, 'six distinct membership versions');
    assert.ok(versions.every((x) => x > v));
    const info = await ann.chat.groupInfo(group);
    for (const u of [...fromAnn, ...fromBob]) assert.ok(info.members.some((m) => m.userId === u.userId));
    assert.equal(info.members.length, 3 + 6);
    await eventually(
      async () =>
        dan
          .of(group)
          .filter(
            (m) =>
              m.system?.kind === 'joined' &&
              m.system.userIds?.some((id) => extra.some((e) => e.userId === id)),
          ).length === 6,
      20_000,
      'six joined messages, one per add',
    );
  });

  test('replies quote the message; a private reply opens the 1:1 with its author, quoting the group message', async () => {
    const original = await ann.chat.send(group, 'who brings the map?');
    const reply = await bob.chat.send(group, 'I do', { replyTo: original.messageId });
    await eventually(async () => ann.of(group).some((m) => m.messageId === reply.messageId), 20_000, 'reply');
    const got = ann.of(group).find((m) => m.messageId === reply.messageId)!;
    await eventually(
      async () => bob.of(group).some((m) => m.messageId === original.messageId),
      20_000,
      'original',
    );
    const originalSeq = bob.of(group).find((m) => m.messageId === original.messageId)!.seq;
    assert.deepEqual(got.quote, {
      conversationId: group,
      messageId: original.messageId,
      senderUserId: ann.userId,
      seq: originalSeq,
    });
    assert.equal(got.replyTo, original.messageId);
    const priv = await dan.chat.replyPrivately(group, original.messageId, 'can I borrow it?');
    assert.match(priv.conversationId, /^d_/);
    await eventually(async () => ann.of(priv.conversationId).length === 1, 20_000, 'private reply');
    const p = ann.of(priv.conversationId)[0]!;
    assert.equal(p.text, 'can I borrow it?');
    assert.deepEqual(
      {
        conversationId: p.quote?.conversationId,
        messageId: p.quote?.messageId,
        senderUserId: p.quote?.senderUserId,
      },
      { conversationId: group, messageId: original.messageId, senderUserId: ann.userId },
    );
  });

  test("a mention is flagged in the mentioned member's list until read", async () => {
    const { messageId } = await ann.chat.send(group, `@dan bring snacks`, { mentions: [dan.userId] });
    await eventually(async () => dan.of(group).some((m) => m.messageId === messageId), 20_000, 'mention');
    assert.deepEqual(dan.of(group).find((m) => m.messageId === messageId)?.mentions, [dan.userId]);
    const row = async (d: TestDevice) =>
      (await d.chat.listConversations()).conversations.find((c) => c.conversationId === group);
    await eventually(async () => (await row(dan))?.mentioned === true, 20_000, 'dan is flagged');
    assert.equal((await row(bob))?.mentioned, undefined, 'bob is not');
    await dan.chat.markRead(group, messageId);
    await eventually(
      async () => (await row(dan))?.mentioned === undefined,
      20_000,
      'flag cleared by reading',
    );
  });

  test("message.info gives each member's delivered and read times", async () => {
    const { messageId } = await dan.chat.send(group, 'status check');
    const others = (await ann.chat.groupInfo(group)).members
      .map((m) => m.userId)
      .filter((u) => u !== dan.userId);
    // A client marks read only what it has received: the message must be projected first.
    await eventually(async () => ann.of(group).some((m) => m.messageId === messageId), 20_000, 'ann has it');
    await ann.chat.markRead(group, messageId);
    await eventually(
      async () => {
        const info = await dan.chat.messageInfo(group, messageId);
        const byUser = new Map(info.members.map((m) => [m.userId, m]));
        return (
          info.members.length === others.length &&
          !!byUser.get(ann.userId)?.deliveredAt &&
          !!byUser.get(bob.userId)?.deliveredAt &&
          !!byUser.get(ann.userId)?.readAt
        );
      },
      30_000,
      'delivered to ann and bob, read by ann',
    );
    const info = await dan.chat.messageInfo(group, messageId);
    assert.equal(info.members.find((m) => m.userId === bob.userId)?.readAt, undefined);
    assert.equal(await codeOf(carol.chat.messageInfo(group, messageId)), 'NOT_A_MEMBER');
  });

  test('receipts: the sender sees DELIVERED once every member has it and READ once every member read it', async () => {
    const { conversationId: small } = await ann.chat.createGroup('Ticks', [bob.userId, dan.userId]);
    const { messageId } = await dan.chat.send(small, 'tick tock');
    const aggregate = (status: 'delivered' | 'read') =>
      dan.receipts.filter((r) => r.conversationId === small && r.status === status && r.allMembers);
    await eventually(
      async () => aggregate('delivered').some((r) => r.messageIds?.includes(messageId)),
      20_000,
      'delivered to all',
    );
    await ann.chat.markRead(small, messageId);
    const later = await ann.chat.send(small, 'later');
    await eventually(async () => bob.of(small).some((m) => m.messageId === later.messageId), 20_000, 'later');
    await bob.chat.markRead(small, later.messageId);
    await eventually(
      async () => aggregate('read').some((r) => r.upToMessageId === messageId),
      20_000,
      'read by all',
    );
    // Receipts of one conversation come in order: an aggregate made wrongly at Ann's read alone would
    // have come before the one at Bob's.
    assert.equal(aggregate('read').length, 1, 'no "read by all" before bob read it');
    const info = await dan.chat.messageInfo(small, messageId);
    const bobs = info.members.find((m) => m.userId === bob.userId);
    assert.ok(bobs?.deliveredAt && bobs.readAt, 'bob read it by reading past it');
    assert.deepEqual(info.members.map((m) => m.userId).sort(), [ann.userId, bob.userId].sort());
  });

  test('a message decided against an older membership but stored after a removal never reaches the removed member', async () => {
    // The rule: the projector fans a message out to the members after every meta event stored before
    // it, whatever membershipVersion the sender's gateway decided it against.
    const { conversationId: g, version: before } = await ann.chat.createGroup('Race', [
      bob.userId,
      carol.userId,
    ]);
    await eventually(async () => carol.of(g).length === 1, 20_000, 'carol sees the group');
    await ann.chat.removeMember(g, carol.userId);
    await eventually(async () => carol.of(g).length === 2, 20_000, 'carol sees her removal');
    // What a gateway that loaded the group before the removal would have appended a moment later.
    const nats = await NatsClient.connect(stack.env.nats, 'groups-test');
    try {
      const store = new EventStore(nats.js, nats.jsm, chatEventCodec);
      const event: MessageSent = {
        type: 'MessageSent',
        version: 2,
        id: randomUUID(),
        occurredAt: new Date().toISOString(),
        data: {
          conversationId: g,
          messageId: `${Date.now()}${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`,
          senderUserId: ann.userId,
          senderDeviceId: ann.deviceId,
          clientMessageId: randomUUID(),
          membershipVersion: before,
          content: { type: 'text', text: 'decided before the removal' },
          sentAt: new Date().toISOString(),
        },
      };
      await store.append(conversationSubject(nats.topology, g, 'msg'), event);
      await eventually(
        async () => bob.of(g).some((m) => m.messageId === event.data.messageId),
        20_000,
        'bob gets it',
      );
      await quietPeriod(REMOVED_QUIET_MS);
      assert.equal(carol.of(g).length, 2, 'carol got nothing after her removal');
      assert.ok(!carol.of(g).some((m) => m.messageId === event.data.messageId));
    } finally {
      await nats.nc.close();
    }
  });
});

describe('group settings from the environment: full history for later members, a small maximum', () => {
  let small: ChatStack;
  let a: TestDevice, b: TestDevice, c: TestDevice, d: TestDevice;
  before(async () => {
    small = await ChatStack.start({
      overrides: { GROUP_HISTORY_FROM_JOIN: 'false', GROUP_MAX_MEMBERS: '3' },
    });
    [a, b, c, d] = (await signUpMany(small, 4)) as [TestDevice, TestDevice, TestDevice, TestDevice];
    await Promise.all([a, c].map((x) => x.connect()));
  });
  after(async () => {
    await Promise.all([a, c].map((x) => x.disconnect()));
    await small.stop();
  });

  test('GROUP_MAX_MEMBERS=3: the fourth member is GROUP_FULL naming 3; GROUP_HISTORY_FROM_JOIN=false: all history', async () => {
    const { conversationId: g } = await a.chat.createGroup('Three', [b.userId]);
    const { messageId } = await a.chat.send(g, 'before c');
    await a.chat.addMembers(g, [c.userId]);
    const err = await a.chat.addMembers(g, [d.userId]).then(
      () => assert.fail('the add succeeded'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ChatError);
    assert.equal(err.code, 'GROUP_FULL');
    assert.equal(err.details?.limit, 3);
    await c.waitForMessages(g, 1);
    await eventually(
      async () => (await c.chat.history(g)).messages.some((m) => m.messageId === messageId),
      20_000,
      'c sees what was said before joining',
    );
    assert.equal((await c.chat.history(g)).messages[0]?.seq, 1);
  });
});
