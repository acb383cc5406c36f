import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { UserEvent } from '#libs/events';
import { PushDirectory } from '../src/directory/push-directory.js';

const at = '2026-12-05T10:00:00.000Z';
let seq = 0;
const fold = (d: PushDirectory, ...events: Array<Pick<UserEvent, 'type' | 'data'>>): void => {
  for (const e of events) d.apply({ ...e, id: `e${++seq}`, occurredAt: at, version: 1 } as UserEvent, seq);
};
const fcm = (token: string) => ({ provider: 'fcm' as const, token });

describe('PushDirectory: push settings folded from USERS events, as the projector writes them', () => {
  test('one token per device and provider; a newer registration replaces it; removal and device removal drop it', () => {
    const d = new PushDirectory();
    fold(
      d,
      { type: 'PushTokenRegistered', data: { userId: 'u1', deviceId: 'd1', token: fcm('a') } },
      { type: 'PushTokenRegistered', data: { userId: 'u1', deviceId: 'd1', token: fcm('b') } },
      {
        type: 'PushTokenRegistered',
        data: {
          userId: 'u1',
          deviceId: 'd2',
          token: { provider: 'apns', token: 'ab'.repeat(32), environment: 'sandbox' },
        },
      },
    );
    assert.deepEqual(
      d.devicesOf('u1').map((x) => [x.deviceId, x.tokens.map((t) => t.provider)]),
      [
        ['d1', ['fcm']],
        ['d2', ['apns']],
      ],
    );
    assert.equal((d.devicesOf('u1')[0]!.tokens[0] as { token: string }).token, 'b');
    fold(d, {
      type: 'PushTokenRemoved',
      data: { userId: 'u1', deviceId: 'd1', provider: 'fcm', reason: 'invalid' },
    });
    assert.deepEqual(
      d.devicesOf('u1').map((x) => x.deviceId),
      ['d2'],
    );
    fold(d, { type: 'DeviceRemoved', data: { userId: 'u1', deviceId: 'd2' } });
    assert.equal(d.hasTokens('u1'), false);
    assert.deepEqual(d.devicesOf('nobody'), []);
    assert.equal(d.position, seq);
  });

  test('mutes with and without an end, unmute, preview, and a forgotten user leaves nothing', () => {
    const d = new PushDirectory();
    const now = Date.parse(at);
    fold(
      d,
      { type: 'ConversationMuted', data: { userId: 'u1', conversationId: 'c1' } },
      {
        type: 'ConversationMuted',
        data: { userId: 'u1', conversationId: 'c2', until: '2026-12-05T11:00:00.000Z' },
      },
      { type: 'NotificationPreviewSet', data: { userId: 'u1', preview: 'hide' } },
      { type: 'PushTokenRegistered', data: { userId: 'u1', deviceId: 'd1', token: fcm('a') } },
    );
    assert.equal(d.isMuted('u1', 'c1', now), true);
    assert.equal(d.isMuted('u1', 'c2', now), true);
    assert.equal(d.isMuted('u1', 'c2', now + 2 * 3_600_000), false);
    assert.equal(d.preview('u1'), 'hide');
    fold(d, { type: 'ConversationUnmuted', data: { userId: 'u1', conversationId: 'c1' } });
    assert.equal(d.isMuted('u1', 'c1', now), false);
    fold(d, {
      type: 'UserForgotten',
      data: { userId: 'u1', requestedBy: 'ops', requestedAt: at },
    } as Pick<UserEvent, 'type' | 'data'>);
    assert.equal(d.hasTokens('u1'), false);
    assert.equal(d.preview('u1'), 'show');
    assert.equal(d.isMuted('u1', 'c2', now), false);
  });
});
