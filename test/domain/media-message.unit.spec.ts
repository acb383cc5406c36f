import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConversationEvent, MessageSent } from '#libs/events';
import {
  decideConversation,
  evolveConversation,
  initialConversationState,
  type ConversationState,
  type MediaFacts,
  type SendMessage,
} from '#libs/domain';

const ctx = { now: new Date('2026-11-23T10:00:00.000Z'), newEventId: () => 'e1' };

function given(...events: ConversationEvent[]): ConversationState {
  return events.reduce((s, e, i) => evolveConversation(s, e, i + 1), initialConversationState());
}

const created: ConversationEvent = {
  type: 'ConversationCreated',
  version: 1,
  id: 'c1',
  occurredAt: ctx.now.toISOString(),
  data: {
    conversationId: 'd_alice_bob',
    kind: 'direct',
    createdBy: 'alice',
    members: [
      { userId: 'alice', role: 'member' },
      { userId: 'bob', role: 'member' },
    ],
  },
};

const completed: MediaFacts = {
  mediaId: 'm1',
  state: 'completed',
  accessible: true,
  kind: 'video',
  size: 1000,
  contentType: 'video/mp4',
  sha256: 'a'.repeat(64),
};

function sendMedia(
  facts: MediaFacts,
  extra: Partial<Omit<SendMessage['content'], 'type'>> = {},
): SendMessage {
  return {
    type: 'SendMessage',
    messageId: '42',
    senderUserId: 'alice',
    senderDeviceId: 'phone',
    clientMessageId: 'c-1',
    content: { type: 'media', facts, viewOnce: false, ...extra },
    maxTextChars: 10,
  };
}

function rejection(command: SendMessage): string {
  const d = decideConversation(command, given(created), ctx);
  assert.equal(d.ok, false);
  return d.ok ? '' : d.error.code;
}

describe('SendMessage with media', () => {
  test('given a conversation, when a member sends a completed upload, then MessageSent carries the recorded reference', () => {
    const d = decideConversation(
      sendMedia(completed, { caption: 'hi', durationSeconds: 12, viewOnce: true }),
      given(created),
      ctx,
    );
    assert.ok(d.ok);
    const event = d.events[0] as MessageSent;
    assert.deepEqual(event.data.content, {
      type: 'media',
      mediaId: 'm1',
      kind: 'video',
      size: 1000,
      contentType: 'video/mp4',
      sha256: 'a'.repeat(64),
      caption: 'hi',
      durationSeconds: 12,
      viewOnce: true,
    });
  });

  test('when the upload is not completed, then MEDIA_NOT_READY', () => {
    assert.equal(rejection(sendMedia({ ...completed, state: 'pending' })), 'MEDIA_NOT_READY');
    assert.equal(rejection(sendMedia({ ...completed, state: 'deleted' })), 'MEDIA_NOT_READY');
  });

  test('when the sender neither uploaded nor saw the media, then MEDIA_NOT_ACCESSIBLE', () => {
    assert.equal(rejection(sendMedia({ ...completed, accessible: false })), 'MEDIA_NOT_ACCESSIBLE');
  });

  test('when the media does not exist, then NOT_FOUND', () => {
    assert.equal(rejection(sendMedia({ ...completed, state: 'missing', accessible: false })), 'NOT_FOUND');
  });

  test('when the caption is over the limit, then MESSAGE_TOO_LARGE', () => {
    assert.equal(rejection(sendMedia(completed, { caption: 'x'.repeat(11) })), 'MESSAGE_TOO_LARGE');
  });

  test('a document has no duration and cannot be view-once', () => {
    const doc = { ...completed, kind: 'document' as const, contentType: 'application/pdf' };
    assert.equal(rejection(sendMedia(doc, { durationSeconds: 3 })), 'VALIDATION_FAILED');
    assert.equal(rejection(sendMedia(doc, { viewOnce: true })), 'VALIDATION_FAILED');
  });

  test('a stranger is NOT_A_MEMBER before anything about the media is looked at', () => {
    const d = decideConversation(
      { ...sendMedia({ ...completed, accessible: false }), senderUserId: 'mallory' },
      given(created),
      ctx,
    );
    assert.equal(d.ok ? '' : d.error.code, 'NOT_A_MEMBER');
  });
});
