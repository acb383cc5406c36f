import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConversationEvent } from '#libs/events';
import {
  decideConversation,
  evolveConversation,
  initialConversationState,
  type CommandContext,
  type ConversationCommand,
  type ConversationState,
  type Decision,
} from '#libs/domain';

const ctx: CommandContext = { now: new Date('2026-01-01T00:00:00Z'), newEventId: () => 'e1' };
const G = 'g_test';
const MAX = 4;

/** Given these commands (each must be accepted), the state they leave, with stream sequences 1, 2, ... */
function given(...commands: ConversationCommand[]): ConversationState {
  let state = initialConversationState();
  let seq = 0;
  for (const c of commands) {
    const d = decideConversation(c, state, ctx);
    assert.ok(d.ok, `given ${c.type} was rejected: ${d.ok ? '' : d.error.message}`);
    for (const e of d.events) state = evolveConversation(state, e, ++seq);
  }
  return state;
}

const create = (members = ['bob', 'carol']): ConversationCommand => ({
  type: 'CreateGroup',
  conversationId: G,
  createdBy: 'ann',
  subject: ' Hikers ',
  memberUserIds: members,
  systemMessageId: '100',
  maxMembers: MAX,
});

function events(d: Decision<ConversationEvent>): readonly ConversationEvent[] {
  assert.ok(d.ok, d.ok ? '' : `rejected: ${d.error.code} ${d.error.message}`);
  return d.events;
}

function rejected(d: Decision<ConversationEvent>, code: string): void {
  assert.equal(d.ok, false, 'expected a rejection');
  if (!d.ok) assert.equal(d.error.code, code);
}

describe('group decider', () => {
  test('create: the creator is admin, the others members, the subject trimmed', () => {
    const [e] = events(decideConversation(create(['bob', 'ann', 'bob']), initialConversationState(), ctx));
    assert.equal(e?.type, 'ConversationCreated');
    if (e?.type !== 'ConversationCreated') return;
    assert.equal(e.data.kind, 'group');
    assert.equal(e.data.title, 'Hikers');
    assert.deepEqual(e.data.members, [
      { userId: 'ann', role: 'admin' },
      { userId: 'bob', role: 'member' },
    ]);
    assert.deepEqual(e.data.settings, { sendMessages: 'everyone', editInfo: 'everyone' });
  });

  test('create: an empty or too long subject is VALIDATION_FAILED; too many members GROUP_FULL', () => {
    const none = initialConversationState();
    rejected(
      decideConversation({ ...create(), subject: '   ' } as ConversationCommand, none, ctx),
      'VALIDATION_FAILED',
    );
    rejected(
      decideConversation({ ...create(), subject: 'x'.repeat(101) } as ConversationCommand, none, ctx),
      'VALIDATION_FAILED',
    );
    const full = decideConversation(create(['b', 'c', 'd', 'e']), none, ctx);
    rejected(full, 'GROUP_FULL');
    if (!full.ok) assert.deepEqual(full.error.details, { limit: MAX });
  });

  test('add: only admins; twice is ALREADY_A_MEMBER; beyond the limit GROUP_FULL naming it', () => {
    const state = given(create());
    const add = (by: string, userIds: string[]): ConversationCommand => ({
      type: 'AddGroupMembers',
      by,
      userIds,
      systemMessageId: '101',
      maxMembers: MAX,
    });
    rejected(decideConversation(add('bob', ['dan']), state, ctx), 'NOT_AN_ADMIN');
    rejected(decideConversation(add('zed', ['dan']), state, ctx), 'NOT_A_MEMBER');
    rejected(decideConversation(add('ann', ['carol']), state, ctx), 'ALREADY_A_MEMBER');
    const full = decideConversation(add('ann', ['dan', 'eve']), state, ctx);
    rejected(full, 'GROUP_FULL');
    if (!full.ok) assert.equal(full.error.details?.limit, MAX);
    const [e] = events(decideConversation(add('ann', ['dan', 'dan']), state, ctx));
    assert.equal(e?.type, 'GroupMembersAdded');
    const after = evolveConversation(state, e!, 2);
    assert.equal(after.status === 'active' && after.members.get('dan'), 'member');
    assert.equal(after.status === 'active' && after.membershipVersion, 2);
  });

  test('remove: only admins, only members, not oneself', () => {
    const state = given(create());
    const remove = (by: string, userId: string): ConversationCommand => ({
      type: 'RemoveGroupMember',
      by,
      userId,
      systemMessageId: '102',
    });
    rejected(decideConversation(remove('bob', 'carol'), state, ctx), 'NOT_AN_ADMIN');
    rejected(decideConversation(remove('ann', 'dan'), state, ctx), 'NOT_A_MEMBER');
    rejected(decideConversation(remove('ann', 'ann'), state, ctx), 'VALIDATION_FAILED');
    const [e] = events(decideConversation(remove('ann', 'carol'), state, ctx));
    assert.equal(e?.type, 'GroupMemberRemoved');
    const after = evolveConversation(state, e!, 2);
    assert.equal(after.status === 'active' && after.members.has('carol'), false);
  });

  test('leave: the last admin leaving makes the longest-standing member admin', () => {
    const state = given(create());
    const [e] = events(
      decideConversation({ type: 'LeaveGroup', userId: 'ann', systemMessageId: '103' }, state, ctx),
    );
    assert.equal(e?.type === 'GroupMemberLeft' && e.data.newAdminUserId, 'bob');
    const after = evolveConversation(state, e!, 2);
    assert.equal(after.status === 'active' && after.members.get('bob'), 'admin');
    rejected(
      decideConversation({ type: 'LeaveGroup', userId: 'ann', systemMessageId: '104' }, after, ctx),
      'NOT_A_MEMBER',
    );
  });

  test('promote and demote: only admins, only members, no-ops refused', () => {
    const state = given(create());
    const promote = (by: string, userId: string): ConversationCommand => ({
      type: 'PromoteGroupAdmin',
      by,
      userId,
      systemMessageId: '105',
    });
    rejected(decideConversation(promote('bob', 'carol'), state, ctx), 'NOT_AN_ADMIN');
    rejected(decideConversation(promote('ann', 'dan'), state, ctx), 'NOT_A_MEMBER');
    rejected(decideConversation(promote('ann', 'ann'), state, ctx), 'VALIDATION_FAILED');
    const promoted = given(create(), promote('ann', 'bob'));
    assert.equal(promoted.status === 'active' && promoted.members.get('bob'), 'admin');
    const demoted = given(create(), promote('ann', 'bob'), {
      type: 'DemoteGroupAdmin',
      by: 'bob',
      userId: 'ann',
      systemMessageId: '106',
    });
    assert.equal(demoted.status === 'active' && demoted.members.get('ann'), 'member');
  });

  test('settings: admins only; with sendMessages=admins a member cannot send, an admin can', () => {
    const settings = (by: string): ConversationCommand => ({
      type: 'ChangeGroupSettings',
      by,
      sendMessages: 'admins',
      systemMessageId: '107',
    });
    rejected(decideConversation(settings('bob'), given(create()), ctx), 'NOT_AN_ADMIN');
    const state = given(create(), settings('ann'));
    const send = (from: string): ConversationCommand => ({
      type: 'SendMessage',
      messageId: '200',
      senderUserId: from,
      senderDeviceId: 'd1',
      clientMessageId: 'c1',
      content: { type: 'text', text: 'hi' },
      maxTextChars: 100,
    });
    rejected(decideConversation(send('bob'), state, ctx), 'NOT_AN_ADMIN');
    events(decideConversation(send('ann'), state, ctx));
  });

  test('info: anyone renames unless editInfo=admins; an empty subject is VALIDATION_FAILED', () => {
    const rename = (by: string, subject: string): ConversationCommand => ({
      type: 'ChangeGroupInfo',
      by,
      subject,
      systemMessageId: '108',
    });
    const renamed = given(create(), rename('bob', 'Climbers'));
    assert.equal(renamed.status === 'active' && renamed.subject, 'Climbers');
    rejected(decideConversation(rename('bob', ''), given(create()), ctx), 'VALIDATION_FAILED');
    const locked = given(create(), {
      type: 'ChangeGroupSettings',
      by: 'ann',
      editInfo: 'admins',
      systemMessageId: '109',
    });
    rejected(decideConversation(rename('bob', 'Mine'), locked, ctx), 'NOT_AN_ADMIN');
    events(decideConversation(rename('ann', 'Ours'), locked, ctx));
  });

  test('send: a non-member is NOT_A_MEMBER; mentions must be members; the membership version travels', () => {
    const state = given(create());
    const send = (from: string, mentions?: string[]): ConversationCommand => ({
      type: 'SendMessage',
      messageId: '201',
      senderUserId: from,
      senderDeviceId: 'd1',
      clientMessageId: 'c2',
      content: { type: 'text', text: 'hi @bob' },
      ...(mentions ? { mentions } : {}),
      maxTextChars: 100,
    });
    rejected(decideConversation(send('zed'), state, ctx), 'NOT_A_MEMBER');
    rejected(decideConversation(send('ann', ['zed']), state, ctx), 'VALIDATION_FAILED');
    const [e] = events(decideConversation(send('ann', ['bob', 'bob']), state, ctx));
    assert.ok(e?.type === 'MessageSent');
    if (e?.type !== 'MessageSent') return;
    assert.deepEqual(e.data.mentions, ['bob']);
    assert.equal(e.data.membershipVersion, 1);
  });

  test('group commands on a 1:1 conversation are refused', () => {
    const direct = given({ type: 'CreateDirectConversation', createdBy: 'ann', peerUserId: 'bob' });
    rejected(
      decideConversation(
        { type: 'AddGroupMembers', by: 'ann', userIds: ['carol'], systemMessageId: '1', maxMembers: 9 },
        direct,
        ctx,
      ),
      'VALIDATION_FAILED',
    );
  });
});
