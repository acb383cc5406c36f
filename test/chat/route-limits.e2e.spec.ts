import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatStack, freshPhone } from '../support/chat-stack.js';
import { signUp, type TestDevice } from '../support/chat-users.js';
import type { AppProcess } from '../support/app-process.js';

/**
 * Limits of the HTTP routes (issue 14, items 7 and 15): phone lookups per account per day and per
 * source address, code requests per address, media slots and link codes per account, refreshes per
 * address. Each refusal is RATE_LIMITED, 429, with a Retry-After header.
 */
let stack: ChatStack;
let gw: AppProcess;

interface Answer {
  status: number;
  retryAfter: string | null;
  body: { error?: { code: string; message: string } } & Record<string, unknown>;
}

async function post(path: string, body: unknown, token?: string): Promise<Answer> {
  const res = await fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: (text ? JSON.parse(text) : {}) as Answer['body'],
  };
}

function assertLimited(a: Answer, what: RegExp): void {
  assert.equal(a.status, 429, JSON.stringify(a.body));
  assert.equal(a.body.error?.code, 'RATE_LIMITED');
  assert.match(a.body.error!.message, what);
  assert.ok(Number(a.retryAfter) >= 1, `Retry-After: ${a.retryAfter}`);
}

let numbers = 0;
/** 100 numbers nobody registered: what an enumeration walks through. */
const hundredNumbers = (): string[] =>
  Array.from({ length: 100 }, () => `+4470${String(++numbers).padStart(8, '0')}`);

/** Looks up batches of 100 until refused; the refusal and how many numbers got through. */
async function lookupUntilRefused(device: TestDevice, maxBatches: number): Promise<[Answer, number]> {
  for (let i = 0; i < maxBatches; i++) {
    const a = await post('/v1/users/lookup', { phones: hundredNumbers() }, device.tokens.accessToken);
    if (a.status !== 200) return [a, i * 100];
  }
  throw new Error(`${maxBatches * 100} numbers looked up without a refusal`);
}

describe('limits of the HTTP routes (real gateway, Redis)', () => {
  before(async () => {
    stack = await ChatStack.start({
      overrides: {
        LOOKUP_PHONES_PER_HOUR: '1000',
        LOOKUP_PHONES_PER_DAY: '600',
        LOOKUP_PHONES_PER_ADDRESS_PER_HOUR: '1000',
        MEDIA_SLOTS_PER_HOUR: '3',
        LINK_CODES_PER_HOUR: '3',
        REFRESHES_PER_ADDRESS_PER_HOUR: '5',
        CODE_REQUESTS_PER_ADDRESS_PER_HOUR: '20',
      },
    });
    gw = stack.gateways[0]!;
  });
  after(() => stack.stop());

  test('enumerating 1,200 numbers is refused: a daily budget per account, then one per address', async () => {
    const [first, second] = [await signUp(stack), await signUp(stack)];
    const [byDay, passed] = await lookupUntilRefused(first, 12);
    assertLimited(byDay, /this account per day/);
    assert.equal(passed, 600);
    // Another account from the same address: the address has 400 numbers left.
    const [byAddress, passedToo] = await lookupUntilRefused(second, 12);
    assertLimited(byAddress, /from this address/);
    assert.equal(passedToo, 400);
  });

  test('media slots and link codes are limited per account', async () => {
    const device = await signUp(stack);
    const slot = {
      kind: 'image',
      contentType: 'image/png',
      size: 100,
      sha256: 'a'.repeat(64),
    };
    for (let i = 0; i < 3; i++)
      assert.equal((await post('/v1/media', slot, device.tokens.accessToken)).status, 201);
    assertLimited(await post('/v1/media', slot, device.tokens.accessToken), /media slots/);
    for (let i = 0; i < 3; i++)
      assert.equal((await post('/v1/devices/link-code', {}, device.tokens.accessToken)).status, 200);
    assertLimited(await post('/v1/devices/link-code', {}, device.tokens.accessToken), /link codes/);
  });

  test('token refreshes are limited per source address', async () => {
    const answers: Answer[] = [];
    for (let i = 0; i < 6; i++)
      answers.push(await post('/v1/auth/refresh', { refreshToken: `not-a-real-token-${i}-0123456789` }));
    assert.deepEqual(
      answers.slice(0, 5).map((a) => a.status),
      [401, 401, 401, 401, 401],
    );
    assertLimited(answers[5]!, /refreshes from this address/);
  });

  // Last: it uses up the address's code requests, which signing up needs.
  test('verification code requests are limited per source address, whatever the number', async () => {
    let refused: Answer | undefined;
    for (let i = 0; i < 25 && !refused; i++) {
      const a = await post('/v1/auth/code', { phone: freshPhone() });
      if (a.status !== 202) refused = a;
    }
    assert.ok(refused, '25 code requests from one address, none refused');
    assertLimited(refused, /code requests from this address/);
  });
});
