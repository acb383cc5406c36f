import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PushToken, UserEvent } from '#libs/events';
import {
  decideUser,
  evolveUser,
  initialUserState,
  type CommandContext,
  type UserCommand,
  type UserState,
} from '#libs/domain';

const ctx: CommandContext = { now: new Date('2026-01-02T03:04:05.000Z'), newEventId: () => 'e-1' };
const given = (...events: UserEvent[]): UserState => events.reduce(evolveUser, initialUserState());
const when = (state: UserState, command: UserCommand) => decideUser(command, state, ctx);
const at = '2026-01-01T00:00:00.000Z';

const registered: UserEvent = {
  type: 'UserRegistered',
  version: 1,
  id: 'r',
  occurredAt: at,
  data: { userId: 'u1', phone: '+14155550123' },
};
const phone: UserEvent = {
  type: 'DeviceAdded',
  version: 1,
  id: 'a',
  occurredAt: at,
  data: { userId: 'u1', deviceId: 'd1', kind: 'primary', name: 'phone' },
};
const fcm = (token: string): PushToken => ({ provider: 'fcm', token });
const tokenRegistered = (token: PushToken): UserEvent => ({
  type: 'PushTokenRegistered',
  version: 1,
  id: `t-${JSON.stringify(token)}`,
  occurredAt: at,
  data: { userId: 'u1', deviceId: 'd1', token },
});

describe('user decider: push tokens and notification settings', () => {
  test('given a device, when it registers an FCM token, then PushTokenRegistered', () => {
    const d = when(given(registered, phone), {
      type: 'RegisterPushToken',
      deviceId: 'd1',
      token: fcm('abc'),
    });
    assert.ok(d.ok);
    assert.deepEqual(
      d.events.map((e) => [e.type, e.data]),
      [['PushTokenRegistered', { userId: 'u1', deviceId: 'd1', token: fcm('abc') }]],
    );
  });

  test('given the same token registered, when it registers it again, then nothing new', () => {
    const d = when(given(registered, phone, tokenRegistered(fcm('abc'))), {
      type: 'RegisterPushToken',
      deviceId: 'd1',
      token: fcm('abc'),
    });
    assert.ok(d.ok);
    assert.equal(d.events.length, 0);
  });

  test('given no such device, when a token is registered for it, then NOT_FOUND', () => {
    const d = when(given(registered, phone), {
      type: 'RegisterPushToken',
      deviceId: 'dX',
      token: fcm('abc'),
    });
    assert.equal(d.ok ? undefined : d.error.code, 'NOT_FOUND');
  });

  test('given a token, when the provider calls it invalid, then PushTokenRemoved with reason invalid', () => {
    const d = when(given(registered, phone, tokenRegistered(fcm('old'))), {
      type: 'RemovePushToken',
      deviceId: 'd1',
      provider: 'fcm',
      reason: 'invalid',
      ifToken: fcm('old'),
    });
    assert.ok(d.ok);
    assert.deepEqual(
      d.events.map((e) => [e.type, e.data]),
      [['PushTokenRemoved', { userId: 'u1', deviceId: 'd1', provider: 'fcm', reason: 'invalid' }]],
    );
  });

  test('given the device replaced its token, when the old one is reported invalid, then the new one stays', () => {
    const d = when(given(registered, phone, tokenRegistered(fcm('old')), tokenRegistered(fcm('new'))), {
      type: 'RemovePushToken',
      deviceId: 'd1',
      provider: 'fcm',
      reason: 'invalid',
      ifToken: fcm('old'),
    });
    assert.ok(d.ok);
    assert.equal(d.events.length, 0);
  });

  test('given no token, when the device removes it, then NOT_FOUND', () => {
    const d = when(given(registered, phone), {
      type: 'RemovePushToken',
      deviceId: 'd1',
      provider: 'apns',
      reason: 'device',
    });
    assert.equal(d.ok ? undefined : d.error.code, 'NOT_FOUND');
  });

  test('when a conversation is muted until a past time, then VALIDATION_FAILED; until a future time, ConversationMuted', () => {
    const state = given(registered, phone);
    const past = when(state, {
      type: 'MuteConversation',
      conversationId: 'c1',
      until: new Date('2026-01-01'),
    });
    assert.equal(past.ok ? undefined : past.error.code, 'VALIDATION_FAILED');
    const future = when(state, {
      type: 'MuteConversation',
      conversationId: 'c1',
      until: new Date('2026-02-01'),
    });
    assert.ok(future.ok);
    assert.deepEqual(future.events[0]?.data, {
      userId: 'u1',
      conversationId: 'c1',
      until: '2026-02-01T00:00:00.000Z',
    });
  });

  test('when the preview is hidden, then NotificationPreviewSet hide', () => {
    const d = when(given(registered, phone), { type: 'SetNotificationPreview', preview: 'hide' });
    assert.ok(d.ok);
    assert.deepEqual(d.events[0]?.data, { userId: 'u1', preview: 'hide' });
  });
});
