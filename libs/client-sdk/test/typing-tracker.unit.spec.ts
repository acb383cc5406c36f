import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TypingTracker } from '#libs/client-sdk';

const typing = (state: 'typing' | 'recording' | 'stopped', userId = 'u1') => ({
  conversationId: 'c1',
  userId,
  deviceId: 'd1',
  state,
  expiresInMs: 1000,
});

describe('typing indicators expire on the receiver', () => {
  test('an indicator not refreshed is dropped after expiresInMs', () => {
    const t = new TypingTracker();
    assert.equal(t.apply(typing('typing'), 0), true);
    assert.equal(t.active('c1', 999).length, 1);
    assert.deepEqual(t.expire(999), []);
    assert.equal(t.expire(1000).length, 1);
    assert.equal(t.active('c1', 1000).length, 0);
  });

  test('a refresh moves the expiry without reporting a change', () => {
    const t = new TypingTracker();
    t.apply(typing('typing'), 0);
    assert.equal(t.apply(typing('typing'), 800), false);
    assert.deepEqual(t.expire(1500), []);
    assert.equal(t.nextExpiry(), 1800);
  });

  test('stopped ends it at once; recording replaces typing', () => {
    const t = new TypingTracker();
    t.apply(typing('typing'), 0);
    assert.equal(t.apply(typing('recording'), 10), true);
    assert.equal(t.active('c1', 20)[0]?.state, 'recording');
    assert.equal(t.apply(typing('stopped'), 30), true);
    assert.equal(t.active('c1', 40).length, 0);
    assert.equal(t.apply(typing('stopped'), 50), false);
  });
});
