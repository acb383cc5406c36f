import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConversationEvent } from '#libs/events';
import {
  decideConversation,
  directConversationId,
  evolveConversation,
  initialConversationState,
  type CommandContext,
  type ConversationCommand,
  type ConversationState,
} from '#libs/domain';

const ctx: CommandContext = { now: new Date('2026-01-02T03:04:05.000Z'), newEventId: () => 'e-1' };

/** Folds past events, each at the next stream sequence. */
function given(...events: ConversationEvent[]): ConversationState {
  return events.reduce((s, e, i) => evolveConversation(s, e, i + 7), initialConversationState());
}

function when(state: ConversationState, command: ConversationCommand) {
  return decideConversation(command, state, ctx);
}

const created: ConversationEvent = {
  type: 'ConversationCreated',
  version: 1,
  id: 'c',
  occurredAt: '2026-01-01T00:00:00.000Z',
  data: {
    conversationId: directConversationId('bob', 'alice'),
    kind: 'direct',
    createdBy: 'alice',
    members: [
      { userId: 'alice', role: 'member' },
      { userId: 'bob', role: 'member' },
    ],
  },
};

const send = (
  over: Partial<Extract<ConversationCommand, { type: 'SendMessage' }>> = {},
): ConversationCommand => ({
  type: 'SendMessage',
  messageId: '123456789',
  senderUserId: 'alice',
  senderDeviceId: 'a1',
  clientMessageId: 'c-1',
  content: { type: 'text', text: 'hello' },
  maxTextChars: 10,
  ...over,
});

describe('conversation decider: 1:1 chats', () => {
  test('both sides derive the same direct conversation id', () => {
    assert.equal(directConversationId('alice', 'bob'), directConversationId('bob', 'alice'));
  });

  test('given nothing, when alice opens a chat with bob, then a two-member conversation is created', () => {
    const d = when(given(), { type: 'CreateDirectConversation', createdBy: 'alice', peerUserId: 'bob' });
    assert.ok(d.ok);
    assert.equal(d.events[0]!.type, 'ConversationCreated');
    assert.deepEqual(d.events[0]!.data, created.data);
  });

  test('when a user opens a chat with themself, then VALIDATION_FAILED', () => {
    const d = when(given(), { type: 'CreateDirectConversation', createdBy: 'alice', peerUserId: 'alice' });
    assert.ok(!d.ok);
    assert.equal(d.error.code, 'VALIDATION_FAILED');
  });

  test('given the conversation exists, when it is created again, then ALREADY_EXISTS', () => {
    const d = when(given(created), {
      type: 'CreateDirectConversation',
      createdBy: 'bob',
      peerUserId: 'alice',
    });
    assert.ok(!d.ok);
    assert.equal(d.error.code, 'ALREADY_EXISTS');
  });

  test('given the conversation, when a member sends, then MessageSent records the membership version it was decided on', () => {
    const d = when(given(created), send({ replyTo: '42' }));
    assert.ok(d.ok);
    const e = d.events[0]!;
    assert.equal(e.type, 'MessageSent');
    assert.deepEqual(e.data, {
      conversationId: created.data.conversationId,
      messageId: '123456789',
      senderUserId: 'alice',
      senderDeviceId: 'a1',
      clientMessageId: 'c-1',
      membershipVersion: 7,
      content: { type: 'text', text: 'hello' },
      replyTo: '42',
      sentAt: ctx.now.toISOString(),
    });
  });

  test('when a stranger sends, or anyone sends to no conversation, then the same NOT_A_MEMBER (existence is not told)', () => {
    const stranger = when(given(created), send({ senderUserId: 'eve' }));
    assert.ok(!stranger.ok);
    const none = when(given(), send());
    assert.ok(!none.ok);
    assert.deepEqual(none.error, stranger.error);
    assert.equal(stranger.error.code, 'NOT_A_MEMBER');
  });

  test('text over the limit is MESSAGE_TOO_LARGE naming the limit, counted in characters not bytes', () => {
    const tooLong = when(given(created), send({ content: { type: 'text', text: 'x'.repeat(11) } }));
    assert.ok(!tooLong.ok);
    assert.equal(tooLong.error.code, 'MESSAGE_TOO_LARGE');
    assert.deepEqual(tooLong.error.details, { limit: 10 });
    assert.ok(
      when(given(created), send({ content: { type: 'text', text: '😀'.repeat(10) } })).ok,
      'ten emoji are ten characters',
    );
    const blank = when(given(created), send({ content: { type: 'text', text: '   ' } }));
    assert.ok(!blank.ok);
    assert.equal(blank.error.code, 'VALIDATION_FAILED');
  });

  test('delivery and read receipts come only from members', () => {
    const ack = when(given(created), {
      type: 'AcknowledgeDelivery',
      deliveries: [
        { userId: 'bob', deviceId: 'b1', messageIds: ['1', '2'] },
        { userId: 'eve', deviceId: 'x', messageIds: ['1'] },
      ],
    });
    assert.ok(ack.ok);
    assert.deepEqual(ack.events[0]!.data, {
      conversationId: created.data.conversationId,
      deliveries: [{ userId: 'bob', deviceId: 'b1', messageIds: ['1', '2'] }],
      deliveredAt: ctx.now.toISOString(),
    });
    const stranger = when(given(created), {
      type: 'AcknowledgeDelivery',
      deliveries: [{ userId: 'eve', deviceId: 'x', messageIds: ['1'] }],
    });
    assert.ok(!stranger.ok);
    assert.equal(stranger.error.code, 'NOT_A_MEMBER');
    const read = when(given(created), { type: 'MarkRead', userId: 'eve', deviceId: 'x', upToMessageId: '1' });
    assert.ok(!read.ok);
    assert.equal(read.error.code, 'NOT_A_MEMBER');
  });

  test('messages and receipts never change the membership version', () => {
    const state = given(created);
    const sent = when(state, send());
    assert.ok(sent.ok);
    const after = evolveConversation(state, sent.events[0]!, 99);
    assert.ok(after.status === 'active' && state.status === 'active');
    assert.equal(after.membershipVersion, state.membershipVersion);
  });
});
