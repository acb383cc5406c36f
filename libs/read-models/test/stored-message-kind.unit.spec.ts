import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HistoryMessage } from '#libs/protocol';
import { storedMessageKind } from '../src/message-action.store.js';

const base: HistoryMessage = {
  conversationId: 'd_a_b',
  messageId: '1',
  seq: 1,
  senderUserId: 'a',
  senderDeviceId: 'p',
  clientMessageId: 'c1',
  text: 'hello',
  sentAt: '2026-01-01T00:00:00.000Z',
};

describe('the kind of a stored timeline message', () => {
  test('text, media, location and system messages are told by their columns', () => {
    assert.equal(storedMessageKind(base), 'text');
    assert.equal(
      storedMessageKind({ ...base, text: '', media: { mediaId: 'm1' } as HistoryMessage['media'] }),
      'media',
    );
    assert.equal(
      storedMessageKind({ ...base, text: '', location: { latitude: 1, longitude: 2 } }),
      'location',
    );
    assert.equal(
      storedMessageKind({ ...base, text: '', system: { kind: 'created', actorUserId: 'a' } }),
      'system',
    );
  });

  test('an empty body with nothing else is an E2E message; a deleted one is not', () => {
    assert.equal(storedMessageKind({ ...base, text: '' }), 'e2e');
    assert.equal(
      storedMessageKind({ ...base, text: '', deleted: { byUserId: 'a', byAdmin: false, at: base.sentAt } }),
      'text',
    );
  });
});
