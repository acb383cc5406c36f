import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { UserEvent } from '#libs/events';
import {
  decideUser,
  evolveUser,
  initialUserState,
  type CommandContext,
  type UserCommand,
  type UserState,
} from '#libs/domain';

const ctx: CommandContext = { now: new Date('2026-01-02T03:04:05.000Z'), newEventId: () => 'e-1' };

function given(...events: UserEvent[]): UserState {
  return events.reduce(evolveUser, initialUserState());
}

function when(state: UserState, command: UserCommand) {
  return decideUser(command, state, ctx);
}

const registered: UserEvent = {
  type: 'UserRegistered',
  version: 1,
  id: 'r',
  occurredAt: '2026-01-01T00:00:00.000Z',
  data: { userId: 'u1', phone: '+14155550123' },
};
const device = (deviceId: string, kind: 'primary' | 'linked'): UserEvent => ({
  type: 'DeviceAdded',
  version: 1,
  id: `a-${deviceId}`,
  occurredAt: '2026-01-01T00:00:00.000Z',
  data: { userId: 'u1', deviceId, kind, name: deviceId },
});

describe('user decider', () => {
  test('given nothing, when the phone signs in, then the account is registered and the phone added', () => {
    const d = when(given(), {
      type: 'SignInPrimary',
      userId: 'u1',
      phone: '+14155550123',
      deviceId: 'p1',
      deviceName: 'phone',
    });
    assert.ok(d.ok);
    assert.deepEqual(
      d.events.map((e) => e.type),
      ['UserRegistered', 'DeviceAdded'],
    );
    assert.equal(d.events[1]!.occurredAt, ctx.now.toISOString());
  });

  test('given a registered phone, when a new phone signs in, then the old primary is removed and linked devices stay', () => {
    const state = given(registered, device('p1', 'primary'), device('l1', 'linked'));
    const d = when(state, {
      type: 'SignInPrimary',
      userId: 'u1',
      phone: '+14155550123',
      deviceId: 'p2',
      deviceName: 'new phone',
    });
    assert.ok(d.ok);
    assert.deepEqual(
      d.events.map((e) => [e.type, (e.data as { deviceId?: string }).deviceId]),
      [
        ['DeviceRemoved', 'p1'],
        ['DeviceAdded', 'p2'],
      ],
    );
    const after = d.events.reduce(evolveUser, state);
    assert.ok(after.status === 'active');
    assert.deepEqual([...after.devices.keys()].sort(), ['l1', 'p2']);
  });

  test('given the linked-device limit reached, when another device links, then DEVICE_LIMIT names the limit', () => {
    const state = given(registered, device('p1', 'primary'), device('l1', 'linked'), device('l2', 'linked'));
    const d = when(state, { type: 'LinkDevice', deviceId: 'l3', deviceName: 'tablet', maxLinkedDevices: 2 });
    assert.equal(d.ok, false);
    assert.ok(!d.ok);
    assert.equal(d.error.code, 'DEVICE_LIMIT');
    assert.deepEqual(d.error.details, { limit: 2 });
  });

  test('given a linked device, when another linked device removes it, then FORBIDDEN; the primary may', () => {
    const state = given(registered, device('p1', 'primary'), device('l1', 'linked'), device('l2', 'linked'));
    const byLinked = when(state, { type: 'RemoveDevice', deviceId: 'l1', requestedBy: 'l2' });
    assert.ok(!byLinked.ok);
    assert.equal(byLinked.error.code, 'FORBIDDEN');
    const self = when(state, { type: 'RemoveDevice', deviceId: 'l1', requestedBy: 'l1' });
    assert.ok(self.ok);
    const byPrimary = when(state, { type: 'RemoveDevice', deviceId: 'l1', requestedBy: 'p1' });
    assert.ok(byPrimary.ok);
    assert.deepEqual(byPrimary.events[0]!.data, { userId: 'u1', deviceId: 'l1' });
  });

  test('given no such device, when it is removed, then NOT_FOUND and no event', () => {
    const d = when(given(registered, device('p1', 'primary')), {
      type: 'RemoveDevice',
      deviceId: 'zz',
      requestedBy: 'p1',
    });
    assert.ok(!d.ok);
    assert.equal(d.error.code, 'NOT_FOUND');
  });

  test('given an unregistered user, when a device links, then NOT_FOUND', () => {
    const d = when(given(), { type: 'LinkDevice', deviceId: 'l1', deviceName: 'x', maxLinkedDevices: 4 });
    assert.ok(!d.ok);
    assert.equal(d.error.code, 'NOT_FOUND');
  });

  test('given a forgotten user, when the phone signs in again or a device is linked, then USER_FORGOTTEN', () => {
    const forgotten: UserEvent = {
      type: 'UserForgotten',
      version: 1,
      id: 'f',
      occurredAt: '2026-01-03T00:00:00.000Z',
      data: { userId: 'u1', requestedBy: 'dpo@example.com', requestedAt: '2026-01-03T00:00:00.000Z' },
    };
    const state = given(registered, device('p1', 'primary'), forgotten);
    assert.equal(state.status, 'forgotten');
    const again = when(state, {
      type: 'SignInPrimary',
      userId: 'u1',
      phone: '+14155550123',
      deviceId: 'p2',
      deviceName: 'phone',
    });
    assert.ok(!again.ok);
    assert.equal(again.error.code, 'USER_FORGOTTEN');
  });
});
