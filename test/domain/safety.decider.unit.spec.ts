import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConversationEvent, UserEvent } from '#libs/events';
import {
  decideConversation,
  decideUser,
  directConversationId,
  directPeerOf,
  evolveConversation,
  evolveUser,
  initialConversationState,
  initialUserState,
  type UserState,
} from '#libs/domain';

const ctx = { now: new Date('2026-01-01T00:00:00.000Z'), newEventId: () => 'e' };
const at = ctx.now.toISOString();
const registered: UserEvent = {
  type: 'UserRegistered',
  version: 2,
  id: 'e0',
  occurredAt: at,
  data: { userId: 'me', phone: '+14155550123' },
};
const device: UserEvent = {
  type: 'DeviceAdded',
  version: 2,
  id: 'e1',
  occurredAt: at,
  data: { userId: 'me', deviceId: 'd1', kind: 'primary', name: 'phone' },
};
const fold = (state: UserState, events: readonly UserEvent[]) => events.reduce(evolveUser, state);
const start = (): UserState => fold(initialUserState(), [registered, device]);
const accepted = (d: ReturnType<typeof decideUser>): readonly UserEvent[] => {
  assert.ok(d.ok, d.ok ? '' : d.error.message);
  return d.events;
};

describe('block, report and delete (user decider)', () => {
  test('given no block, when blocking, then UserBlocked; blocking again or oneself records nothing / is refused', () => {
    const events = accepted(decideUser({ type: 'BlockUser', blockedUserId: 'x' }, start(), ctx));
    assert.deepEqual(
      events.map((e) => [e.type, e.data]),
      [['UserBlocked', { userId: 'me', blockedUserId: 'x' }]],
    );
    const s = fold(start(), events);
    assert.deepEqual(accepted(decideUser({ type: 'BlockUser', blockedUserId: 'x' }, s, ctx)), []);
    const self = decideUser({ type: 'BlockUser', blockedUserId: 'me' }, s, ctx);
    assert.equal(!self.ok && self.error.code, 'VALIDATION_FAILED');
    const un = accepted(decideUser({ type: 'UnblockUser', blockedUserId: 'x' }, s, ctx));
    assert.deepEqual(
      un.map((e) => e.type),
      ['UserUnblocked'],
    );
    const after = fold(s, un);
    assert.deepEqual(after.status === 'active' ? [...after.blocked] : undefined, []);
    assert.deepEqual(accepted(decideUser({ type: 'UnblockUser', blockedUserId: 'y' }, s, ctx)), []);
  });

  test('a report that also blocks records UserReported then UserBlocked; one cannot report oneself', () => {
    const report = {
      type: 'ReportUser' as const,
      reportId: '17',
      target: { kind: 'user' as const, userId: 'x' },
      reportedUserIds: ['x', 'me'],
      reason: 'spam' as const,
      messages: [],
      block: 'x',
    };
    const events = accepted(decideUser(report, start(), ctx));
    assert.deepEqual(
      events.map((e) => e.type),
      ['UserReported', 'UserBlocked'],
    );
    assert.deepEqual((events[0]!.data as { reportedUserIds: string[] }).reportedUserIds, ['x']);
    const self = decideUser({ ...report, target: { kind: 'user', userId: 'me' } }, start(), ctx);
    assert.equal(!self.ok && self.error.code, 'VALIDATION_FAILED');
  });

  test('deleting removes devices then closes the account; a deleted account takes no command', () => {
    const events = accepted(
      decideUser({ type: 'DeleteAccount', baseUserId: 'me', generation: 0 }, start(), ctx),
    );
    assert.deepEqual(
      events.map((e) => e.type),
      ['DeviceRemoved', 'AccountDeleted'],
    );
    const s = fold(start(), events);
    assert.deepEqual(s, { status: 'forgotten', userId: 'me', deleted: true });
    const forgotten: UserEvent = {
      type: 'UserForgotten',
      version: 1,
      id: 'e9',
      occurredAt: at,
      data: { userId: 'me', requestedBy: 'me', requestedAt: at },
    };
    assert.deepEqual(evolveUser(s, forgotten), s, 'still a deletion after the shredding');
    const d = decideUser({ type: 'BlockUser', blockedUserId: 'x' }, s, ctx);
    assert.equal(!d.ok && d.error.code, 'USER_FORGOTTEN');
  });
});

describe('a direct message to a blocker (conversation decider)', () => {
  const id = directConversationId('a_1', 'b');
  const created = decideConversation(
    { type: 'CreateDirectConversation', createdBy: 'a_1', peerUserId: 'b' },
    initialConversationState(),
    ctx,
  );
  assert.ok(created.ok);
  const state = (created.events as ConversationEvent[]).reduce(
    (s, e, i) => evolveConversation(s, e, i + 1),
    initialConversationState(),
  );
  const send = (blockedBy?: string[]) =>
    decideConversation(
      {
        type: 'SendMessage',
        messageId: '5',
        senderUserId: 'a_1',
        senderDeviceId: 'd',
        clientMessageId: 'c',
        content: { type: 'text', text: 'hi' },
        maxTextChars: 100,
        ...(blockedBy ? { blockedBy } : {}),
      },
      state,
      ctx,
    );

  test('the peer of a direct conversation is found from either member, whatever underscores ids hold', () => {
    assert.equal(directPeerOf(id, 'a_1'), 'b');
    assert.equal(directPeerOf(id, 'b'), 'a_1');
    assert.equal(directPeerOf(id, 'c'), undefined);
    assert.equal(directPeerOf('g_abc', 'a_1'), undefined);
  });

  test('given the peer blocked the sender, the message is accepted and withheld from the peer only', () => {
    const d = send(['b', 'a_1', 'stranger']);
    assert.ok(d.ok);
    assert.deepEqual((d.events[0]!.data as { withheldFrom?: string[] }).withheldFrom, ['b']);
    const plain = send();
    assert.ok(plain.ok);
    assert.equal((plain.events[0]!.data as { withheldFrom?: string[] }).withheldFrom, undefined);
  });
});
