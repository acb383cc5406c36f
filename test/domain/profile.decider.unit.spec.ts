import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { UserEvent } from '#libs/events';
import {
  checkAbout,
  checkDisplayName,
  decideUser,
  evolveUser,
  initialUserState,
  type UserCommand,
  type UserState,
} from '#libs/domain';

let n = 0;
const ctx = { now: new Date('2026-01-01T00:00:00.000Z'), newEventId: () => `e${++n}` };
const registered: UserEvent = {
  type: 'UserRegistered',
  version: 2,
  id: 'e0',
  occurredAt: ctx.now.toISOString(),
  data: { userId: 'u1', phone: '+14155550123' },
};

const given = (events: readonly UserEvent[]): UserState => events.reduce(evolveUser, initialUserState());
const when = (state: UserState, command: UserCommand) => decideUser(command, state, ctx);
/** Decides, then folds what was decided: the state after the command. */
function after(state: UserState, command: UserCommand): { state: UserState; events: readonly UserEvent[] } {
  const d = when(state, command);
  assert.ok(d.ok, d.ok ? '' : d.error.message);
  return { state: d.events.reduce(evolveUser, state), events: d.events };
}
const shapes = (events: readonly UserEvent[]) => events.map((e) => [e.type, e.data]);

describe('display name and about rules', () => {
  test('a name is trimmed and kept when 1-25 visible characters', () => {
    assert.deepEqual(checkDisplayName('  Ada Lovelace  '), { ok: true, value: 'Ada Lovelace' });
    assert.deepEqual(checkDisplayName('é'.repeat(25)), { ok: true, value: 'é'.repeat(25) });
    assert.deepEqual(checkDisplayName('👩‍💻 Grace'), { ok: true, value: '👩‍💻 Grace' });
  });

  test('empty, too long, control characters and invisible-only names are refused', () => {
    for (const bad of [
      '',
      '   ',
      'x'.repeat(26),
      'a\nb',
      'tab\there',
      '\u200b\u200b',
      '\u3164',
      '\u2800 ',
      'a\u2028b',
    ])
      assert.equal(checkDisplayName(bad).ok, false, JSON.stringify(bad));
  });

  test('about is 0-139 characters; invisible-only reads as empty', () => {
    assert.deepEqual(checkAbout(''), { ok: true, value: '' });
    assert.deepEqual(checkAbout('\u200b'), { ok: true, value: '' });
    assert.deepEqual(checkAbout('x'.repeat(139)), { ok: true, value: 'x'.repeat(139) });
    assert.equal(checkAbout('x'.repeat(140)).ok, false);
    assert.equal(checkAbout('line\nbreak').ok, false);
  });
});

describe('profile (user decider)', () => {
  test('given a sign-up with a name, then the account is registered and named in one decision', () => {
    const d = when(initialUserState(), {
      type: 'SignInPrimary',
      userId: 'u1',
      phone: '+14155550123',
      deviceId: 'd1',
      deviceName: 'phone',
      displayName: ' Ada ',
    });
    assert.ok(d.ok);
    assert.deepEqual(
      d.events.map((e) => e.type),
      ['UserRegistered', 'ProfileNameChanged', 'DeviceAdded'],
    );
    assert.deepEqual(d.events[1]!.data, { userId: 'u1', displayName: 'Ada' });
  });

  test('given a sign-up with an invisible name, then VALIDATION_FAILED and no account', () => {
    const d = when(initialUserState(), {
      type: 'SignInPrimary',
      userId: 'u1',
      phone: '+14155550123',
      deviceId: 'd1',
      deviceName: 'phone',
      displayName: '\u200b',
    });
    assert.equal(!d.ok && d.error.code, 'VALIDATION_FAILED');
  });

  test('when the profile changes, then one event per changed field; the same again records nothing', () => {
    const first = after(given([registered]), { type: 'UpdateProfile', displayName: 'Ada', about: 'hi' });
    assert.deepEqual(shapes(first.events), [
      ['ProfileNameChanged', { userId: 'u1', displayName: 'Ada' }],
      ['ProfileAboutChanged', { userId: 'u1', about: 'hi' }],
    ]);
    const again = when(first.state, { type: 'UpdateProfile', displayName: ' Ada', about: 'hi ' });
    assert.deepEqual(again, { ok: true, events: [] });
  });

  test('when the avatar is replaced, then the event names the one it replaces; removing names it too', () => {
    const a = after(given([registered]), { type: 'UpdateProfile', avatarId: 'm1' });
    assert.deepEqual(shapes(a.events), [['ProfileAvatarChanged', { userId: 'u1', avatarId: 'm1' }]]);
    const b = after(a.state, { type: 'UpdateProfile', avatarId: 'm2' });
    assert.deepEqual(shapes(b.events), [
      ['ProfileAvatarChanged', { userId: 'u1', avatarId: 'm2', previousAvatarId: 'm1' }],
    ]);
    const c = after(b.state, { type: 'UpdateProfile', avatarId: null });
    assert.deepEqual(shapes(c.events), [['ProfileAvatarChanged', { userId: 'u1', previousAvatarId: 'm2' }]]);
    assert.equal(c.state.status === 'active' && c.state.profile.avatarId, undefined);
    assert.deepEqual(when(c.state, { type: 'UpdateProfile', avatarId: null }), { ok: true, events: [] });
  });

  test('when a bad about is sent with a good name, then nothing is recorded', () => {
    const d = when(given([registered]), {
      type: 'UpdateProfile',
      displayName: 'Ada',
      about: 'x'.repeat(140),
    });
    assert.equal(!d.ok && d.error.code, 'VALIDATION_FAILED');
  });

  test('when avatar and about privacy change, then ProfilePrivacyChanged (and no presence event)', () => {
    const a = after(given([registered]), { type: 'ChangePrivacySettings', avatar: 'contacts' });
    assert.deepEqual(shapes(a.events), [
      ['ProfilePrivacyChanged', { userId: 'u1', avatar: 'contacts', about: 'everyone' }],
    ]);
    const b = after(a.state, { type: 'ChangePrivacySettings', lastSeen: 'nobody', about: 'nobody' });
    assert.deepEqual(
      b.events.map((e) => e.type),
      ['PrivacySettingsChanged', 'ProfilePrivacyChanged'],
    );
    assert.deepEqual(b.state.status === 'active' && b.state.profile.privacy, {
      avatar: 'contacts',
      about: 'nobody',
    });
  });

  test('given no account, when the profile is changed, then NOT_FOUND', () => {
    const d = when(initialUserState(), { type: 'UpdateProfile', displayName: 'Ada' });
    assert.equal(!d.ok && d.error.code, 'NOT_FOUND');
  });
});
