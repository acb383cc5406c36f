import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatError, ChatHttpClient } from '#libs/client-sdk';
import { eventually } from '../support/app-process.js';
import { ChatStack, freshPhone } from '../support/chat-stack.js';
import { signUp, type TestDevice } from '../support/chat-users.js';
import { writeTo, waitForProfile } from './people-helpers.js';
import { outlast } from '../support/wait.js';

const PRIVACY_CACHE_MS = 200;

let stack: ChatStack;
let http: ChatHttpClient;

/** `+1555PPPNNNN` written the way a US address book shows it. */
const national = (e164: string): string => `(${e164.slice(2, 5)}) ${e164.slice(5, 8)}-${e164.slice(8)}`;

async function presenceCode(viewer: TestDevice, target: TestDevice): Promise<string> {
  try {
    await viewer.chat.watchPresence([target.userId]);
    return 'OK';
  } catch (e) {
    return e instanceof ChatError ? e.code : String(e);
  }
}

describe('contacts: address book upload, discovery, and "contacts" in privacy settings', () => {
  before(async () => {
    stack = await ChatStack.start({ overrides: { PRESENCE_PRIVACY_CACHE_MS: String(PRIVACY_CACHE_MS) } });
    http = new ChatHttpClient({ baseUrl: stack.liveGateways[0]!.url });
  });
  after(() => stack.stop());

  test('numbers are normalized to E.164; the answer names the registered ones with what their privacy shows', async () => {
    const [alice, bob, carol] = await Promise.all([signUp(stack), signUp(stack), signUp(stack)]);
    await bob.connect();
    await bob.chat.setProfile({ about: 'bob about' });
    await bob.chat.setPrivacy({ about: 'contacts' });
    const stranger = freshPhone(); // no account
    const r = await http.changeContacts(alice.tokens.accessToken, {
      add: [national(bob.phone!), `001${carol.phone!.slice(2)}`, stranger, 'call me maybe', alice.phone!],
      defaultCountryCode: '1',
    });
    assert.deepEqual(r.invalid, ['call me maybe']);
    assert.equal(r.contacts, 3, 'bob, carol and the stranger; never oneself');
    const found = new Map(r.registered.map((x) => [x.phone, x.profile]));
    assert.deepEqual([...found.keys()].sort(), [bob.phone, carol.phone].sort());
    assert.equal(found.get(bob.phone!)?.userId, bob.userId);
    assert.equal(found.get(bob.phone!)?.displayName !== undefined, true);
    assert.equal(found.get(bob.phone!)?.about, undefined, "alice is not in bob's contact set");
    // Once bob has alice in his address book, discovering him again shows his about line.
    await http.changeContacts(bob.tokens.accessToken, { add: [alice.phone!] });
    await eventually(
      async () => {
        const again = await http.changeContacts(alice.tokens.accessToken, { add: [bob.phone!] });
        return again.registered[0]?.profile.about === 'bob about';
      },
      20_000,
      'about visible to a contact',
    );
    await bob.disconnect();
  });

  test('"contacts" means the address book: added, it lets in; removed, it shuts out; writing no longer counts', async () => {
    const [dave, eve, frank] = await Promise.all([signUp(stack), signUp(stack), signUp(stack)]);
    await Promise.all([dave.connect(), eve.connect(), frank.connect()]);
    try {
      await dave.chat.setProfile({ about: 'dave about' });
      await dave.chat.setPrivacy({ lastSeen: 'contacts', online: 'contacts', about: 'contacts' });
      await http.changeContacts(dave.tokens.accessToken, { add: [eve.phone!] });
      await waitForProfile(eve, dave.userId, (p) => p?.about === 'dave about', 'eve sees the about');
      await eventually(async () => (await presenceCode(eve, dave)) === 'OK', 20_000, 'eve sees presence');

      // Frank is someone dave wrote to (the relation before address books): no longer a contact.
      await writeTo(dave, frank);
      // The message projected (where writing used to make a contact), then past the privacy cache.
      await eventually(
        async () => (await frank.chat.listConversations()).conversations.some((c) => c.lastMessage),
        20_000,
        'the message projected',
      );
      await outlast(PRIVACY_CACHE_MS, 100);
      assert.equal(
        (await waitForProfile(frank, dave.userId, (p) => p !== undefined, 'frank'))?.about,
        undefined,
      );
      assert.equal(await presenceCode(frank, dave), 'PRESENCE_HIDDEN');

      await http.changeContacts(dave.tokens.accessToken, { remove: [eve.phone!] });
      await waitForProfile(eve, dave.userId, (p) => p !== undefined && p.about === undefined, 'about hidden');
      await eventually(
        async () => (await presenceCode(eve, dave)) === 'PRESENCE_HIDDEN',
        20_000,
        'presence hidden',
      );
    } finally {
      await Promise.all([dave, eve, frank].map((d) => d.disconnect()));
    }
  });

  test('a user who never sent an address book keeps the earlier relation (migration)', async () => {
    const [gina, hal] = await Promise.all([signUp(stack), signUp(stack)]);
    await Promise.all([gina.connect(), hal.connect()]);
    try {
      await gina.chat.setPrivacy({ lastSeen: 'contacts', online: 'contacts' });
      assert.equal(await presenceCode(hal, gina), 'PRESENCE_HIDDEN');
      await writeTo(gina, hal); // gina wrote to hal: her contact until her client uploads a book
      await eventually(async () => (await presenceCode(hal, gina)) === 'OK', 20_000, 'legacy contact');
      await http.changeContacts(gina.tokens.accessToken, { add: [freshPhone()] });
      await eventually(
        async () => (await presenceCode(hal, gina)) === 'PRESENCE_HIDDEN',
        20_000,
        'the address book now decides',
      );
    } finally {
      await Promise.all([gina, hal].map((d) => d.disconnect()));
    }
  });
});

describe('discovery limits: per account per day and per source address, shared with lookups', () => {
  let limited: ChatStack;
  before(async () => {
    limited = await ChatStack.start({
      overrides: {
        LOOKUP_PHONES_PER_HOUR: '1000',
        LOOKUP_PHONES_PER_DAY: '150',
        LOOKUP_PHONES_PER_ADDRESS_PER_HOUR: '230',
      },
    });
  });
  after(() => limited.stop());

  const numbers = (n: number): string[] => Array.from({ length: n }, () => freshPhone());

  test('the daily budget of an account, then the budget of the address, refuse with 429 and change nothing', async () => {
    const api = new ChatHttpClient({ baseUrl: limited.liveGateways[0]!.url });
    const [a, b] = await Promise.all([signUp(limited), signUp(limited)]);
    assert.equal((await api.changeContacts(a.tokens.accessToken, { add: numbers(100) })).contacts, 100);
    const byDay = await api
      .changeContacts(a.tokens.accessToken, { add: numbers(100) })
      .catch((e: unknown) => e);
    assert.ok(byDay instanceof ChatError && byDay.code === 'RATE_LIMITED', String(byDay));
    assert.match(byDay.message, /per day/);
    // Removing is not discovery: it is never refused by these budgets.
    const first = await api.changeContacts(a.tokens.accessToken, { remove: numbers(5) });
    assert.equal(first.contacts, 100, 'the refused upload added nothing');

    // b has its own day budget, but shares the address with a: 100 + 100 + 40 > 230.
    assert.equal((await api.changeContacts(b.tokens.accessToken, { add: numbers(100) })).contacts, 100);
    const byAddress = await api
      .changeContacts(b.tokens.accessToken, { add: numbers(40) })
      .catch((e: unknown) => e);
    assert.ok(byAddress instanceof ChatError && byAddress.code === 'RATE_LIMITED', String(byAddress));
    assert.match(byAddress.message, /address/);
  });

  test('more than one request of numbers at once is refused as VALIDATION_FAILED', async () => {
    const api = new ChatHttpClient({ baseUrl: limited.liveGateways[0]!.url });
    const c = await signUp(limited);
    const err = await api
      .changeContacts(c.tokens.accessToken, { add: numbers(101) })
      .catch((e: unknown) => e);
    assert.ok(err instanceof ChatError && err.code === 'VALIDATION_FAILED', String(err));
  });
});
