import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { UserEvent } from '#libs/events';
import { decideUser, evolveUser, initialUserState, type UserState } from '#libs/domain';
import { toE164 } from '../../apps/gateway/src/contacts/phone-normalizer.js';

const ctx = { now: new Date('2026-01-01T00:00:00.000Z'), newEventId: () => 'e' };
const registered: UserEvent = {
  type: 'UserRegistered',
  version: 2,
  id: 'e0',
  occurredAt: ctx.now.toISOString(),
  data: { userId: 'me', phone: '+14155550123' },
};
const start = (): UserState => evolveUser(initialUserState(), registered);
const change = (state: UserState, add: string[], remove: string[] = [], maxContacts = 5000) =>
  decideUser({ type: 'ChangeContacts', add, remove, maxContacts }, state, ctx);
const fold = (state: UserState, events: readonly UserEvent[]) => events.reduce(evolveUser, state);
const setOf = (s: UserState) => (s.status === 'active' ? [...s.contacts].sort() : []);

describe('contact set (user decider)', () => {
  test('adds new ids once, never the user, and removing what is there records ContactsRemoved', () => {
    const d = change(start(), ['a', 'b', 'a', 'me']);
    assert.ok(d.ok);
    assert.deepEqual(
      d.events.map((e) => [e.type, e.data]),
      [['ContactsAdded', { userId: 'me', contactIds: ['a', 'b'] }]],
    );
    const s = fold(start(), d.events);
    assert.deepEqual(change(s, ['a']), { ok: true, events: [] }, 'adding again records nothing');
    const r = change(s, ['c'], ['a', 'zz']);
    assert.ok(r.ok);
    assert.deepEqual(
      r.events.map((e) => [e.type, e.data]),
      [
        ['ContactsRemoved', { userId: 'me', contactIds: ['a'] }],
        ['ContactsAdded', { userId: 'me', contactIds: ['c'] }],
      ],
    );
    assert.deepEqual(setOf(fold(s, r.events)), ['b', 'c']);
  });

  test('beyond the limit the change is refused with CONTACT_LIMIT and nothing is recorded', () => {
    const s = fold(start(), (change(start(), ['a', 'b']) as { events: readonly UserEvent[] }).events);
    const d = change(s, ['c', 'd'], [], 3);
    assert.equal(!d.ok && d.error.code, 'CONTACT_LIMIT');
    assert.deepEqual(!d.ok && d.error.details, { limit: 3, size: 4 });
    assert.ok(change(s, ['c', 'd'], ['a'], 3).ok, 'a removal in the same change makes room');
  });

  test('a large upload is split into events of at most 1000 ids', () => {
    const ids = Array.from({ length: 2500 }, (_, i) => `u${i}`);
    const d = change(start(), ids);
    assert.ok(d.ok);
    assert.deepEqual(
      d.events.map((e) => (e.data as { contactIds: string[] }).contactIds.length),
      [1000, 1000, 500],
    );
  });
});

describe('address-book numbers to E.164', () => {
  test('international forms keep their country code; national ones take the default', () => {
    assert.equal(toE164('+44 20 7946 0018'), '+442079460018');
    assert.equal(toE164('0044 (20) 7946-0018'), '+442079460018');
    assert.equal(toE164('(415) 555-0123', '1'), '+14155550123');
    assert.equal(toE164('020 7946 0018', '44'), '+442079460018', 'the trunk 0 is dropped');
    assert.equal(toE164('+1\u00a0415.555.0123'), '+14155550123');
  });

  test('numbers that cannot be E.164 are refused, never guessed', () => {
    for (const bad of [
      '(415) 555-0123',
      '555-CALL-NOW',
      '+0 123 4567',
      '+1 415 555 0123 ext 9',
      '',
      '+12345',
    ])
      assert.equal(toE164(bad), undefined, bad);
    assert.equal(toE164('12', '1'), undefined);
    assert.equal(toE164('+' + '9'.repeat(16)), undefined);
  });
});
