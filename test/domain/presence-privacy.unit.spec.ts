import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { UserEvent } from '#libs/events';
import {
  decideUser,
  evolveUser,
  initialUserState,
  presenceVisibility,
  type PresenceAudience,
  type UserCommand,
  type UserState,
} from '#libs/domain';

const ctx = { now: new Date('2026-01-01T00:00:00.000Z'), newEventId: () => 'e1' };
const registered: UserEvent = {
  type: 'UserRegistered',
  version: 1,
  id: 'e0',
  occurredAt: ctx.now.toISOString(),
  data: { userId: 'u1', phone: '+14155550123' },
};

function given(events: UserEvent[]): UserState {
  return events.reduce(evolveUser, initialUserState());
}
const when = (state: UserState, command: UserCommand) => decideUser(command, state, ctx);

describe('user privacy settings (decider)', () => {
  test('given a new user, when they hide their last seen, then PrivacySettingsChanged keeps online as it was', () => {
    const d = when(given([registered]), { type: 'ChangePrivacySettings', lastSeen: 'nobody' });
    assert.ok(d.ok);
    assert.deepEqual(
      d.events.map((e) => [e.type, e.data]),
      [['PrivacySettingsChanged', { userId: 'u1', lastSeen: 'nobody', online: 'everyone' }]],
    );
  });

  test('given settings already in place, when set again, then nothing is recorded', () => {
    const changed: UserEvent = {
      ...registered,
      type: 'PrivacySettingsChanged',
      id: 'e2',
      data: { userId: 'u1', lastSeen: 'contacts', online: 'nobody' },
    };
    const state = given([registered, changed]);
    assert.deepEqual(state.status === 'active' && state.privacy, { lastSeen: 'contacts', online: 'nobody' });
    const d = when(state, { type: 'ChangePrivacySettings', lastSeen: 'contacts', online: 'nobody' });
    assert.deepEqual(d, { ok: true, events: [] });
  });

  test('given no account, when privacy is changed, then NOT_FOUND', () => {
    const d = when(given([]), { type: 'ChangePrivacySettings', online: 'nobody' });
    assert.equal(d.ok, false);
    assert.equal(!d.ok && d.error.code, 'NOT_FOUND');
  });
});

describe('presence visibility', () => {
  const audiences: PresenceAudience[] = ['everyone', 'contacts', 'nobody'];
  const see = (target: PresenceAudience, viewer: PresenceAudience, areContacts: boolean) =>
    presenceVisibility({
      viewerId: 'v',
      targetId: 't',
      viewer: { lastSeen: viewer, online: viewer },
      target: { lastSeen: target, online: target },
      areContacts,
    });

  for (const target of audiences)
    for (const viewer of audiences)
      for (const areContacts of [true, false]) {
        const allowedByTarget = target === 'everyone' || (target === 'contacts' && areContacts);
        const viewerShares = viewer === 'everyone' || (viewer === 'contacts' && areContacts);
        const expected = allowedByTarget && viewerShares;
        test(`target ${target}, viewer ${viewer}, ${areContacts ? 'contacts' : 'strangers'}: ${expected ? 'visible' : 'hidden'}`, () => {
          assert.deepEqual(see(target, viewer, areContacts), { online: expected, lastSeen: expected });
        });
      }

  test('last seen and online are judged separately', () => {
    const v = presenceVisibility({
      viewerId: 'v',
      targetId: 't',
      viewer: { lastSeen: 'everyone', online: 'everyone' },
      target: { lastSeen: 'nobody', online: 'everyone' },
      areContacts: false,
    });
    assert.deepEqual(v, { online: true, lastSeen: false });
  });

  test('reciprocity: who hides their last seen cannot see others', () => {
    const v = presenceVisibility({
      viewerId: 'v',
      targetId: 't',
      viewer: { lastSeen: 'nobody', online: 'everyone' },
      target: { lastSeen: 'everyone', online: 'everyone' },
      areContacts: true,
    });
    assert.deepEqual(v, { online: true, lastSeen: false });
  });

  test('a user always sees themselves', () => {
    const v = presenceVisibility({
      viewerId: 'u',
      targetId: 'u',
      viewer: { lastSeen: 'nobody', online: 'nobody' },
      target: { lastSeen: 'nobody', online: 'nobody' },
      areContacts: false,
    });
    assert.deepEqual(v, { online: true, lastSeen: true });
  });
});
