import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatError, ChatHttpClient } from '#libs/client-sdk';
import { ChatStack, freshPhone } from '../support/chat-stack.js';
import { FakeSmsProvider } from '../support/fake-sms-provider.js';

let fake: FakeSmsProvider;
let stack: ChatStack;
let http: ChatHttpClient;
const FROM = '+15005550006';

async function failure(p: Promise<unknown>): Promise<ChatError> {
  const err = await p.then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ChatError, String(err));
  return err;
}

describe('verification codes by SMS through a Twilio-shaped provider (a local fake that checks the requests)', () => {
  before(async () => {
    fake = await FakeSmsProvider.start();
    stack = await ChatStack.start({
      overrides: {
        CODE_SENDER: 'twilio',
        TWILIO_ACCOUNT_SID: fake.accountSid,
        TWILIO_AUTH_TOKEN: fake.authToken,
        TWILIO_FROM: FROM,
        TWILIO_API_URL: fake.url,
        CODE_SEND_RETRIES: '2',
        CODE_SEND_TIMEOUT_MS: '1000',
      },
    });
    http = new ChatHttpClient({ baseUrl: stack.liveGateways[0]!.url });
  });
  after(async () => {
    await stack.stop();
    await fake.stop();
  });

  test('the code reaches the phone by SMS (auth, To, From, Body as the API wants) and signs the user up', async () => {
    const phone = freshPhone();
    const answer = await http.requestCode(phone);
    assert.ok(answer.expiresInSeconds > 0);
    const sms = fake.accepted.find((m) => m.to === phone);
    assert.equal(sms?.from, FROM);
    const code = fake.codeFor(phone);
    assert.match(code ?? '', /^\d{6}$/);
    const tokens = await http.verify(phone, code!, 'phone', 'Sam');
    assert.ok(tokens.accessToken);
  });

  test('transient failures (500, 429, a timeout) are retried; the client sees one success', async () => {
    const phone = freshPhone();
    const before = fake.requests;
    fake.failures.push({ status: 500, code: 20500 }, { status: 429, code: 20429 });
    await http.requestCode(phone);
    assert.equal(fake.requests - before, 3);
    assert.ok(fake.codeFor(phone));

    const slow = freshPhone();
    fake.failures.push({ status: 201, delayMs: 2500 }); // answered after the sender gave up
    await http.requestCode(slow);
    assert.ok(fake.codeFor(slow), 'the retry after the timeout went out');
  });

  test('a send that keeps failing is CODE_NOT_SENT (502, retryable) and leaves no valid code', async () => {
    const phone = freshPhone();
    const before = fake.requests;
    fake.failures.push({ status: 503 }, { status: 503 }, { status: 503 });
    const err = await failure(http.requestCode(phone));
    assert.equal(err.code, 'CODE_NOT_SENT');
    assert.equal(err.status, 502);
    assert.equal(err.details?.retryable, true);
    assert.equal(fake.requests - before, 3, 'the first attempt and two retries');
    const guess = await failure(http.verify(phone, '123456', 'phone'));
    assert.equal(guess.code, 'CODE_INVALID');
  });

  test('a number that cannot get SMS is VALIDATION_FAILED at once; wrong credentials are CODE_NOT_SENT, not retried', async () => {
    let before = fake.requests;
    fake.failures.push({ status: 400, code: 21614, message: "'To' number is not a valid mobile number" });
    const invalid = await failure(http.requestCode(freshPhone()));
    assert.equal(invalid.code, 'VALIDATION_FAILED');
    assert.equal(fake.requests - before, 1);

    before = fake.requests;
    const real = fake.authToken;
    fake.authToken = 'rotated-by-the-operator';
    try {
      const denied = await failure(http.requestCode(freshPhone()));
      assert.equal(denied.code, 'CODE_NOT_SENT');
      assert.equal(denied.details?.retryable, false);
      assert.equal(denied.details?.providerCode, 20003);
      assert.equal(fake.requests - before, 1);
    } finally {
      fake.authToken = real;
    }
  });

  test('codes per phone number are limited; a refused request never reaches the provider', async () => {
    const phone = freshPhone();
    for (let i = 0; i < 5; i++) await http.requestCode(phone);
    const before = fake.requests;
    const limited = await failure(http.requestCode(phone));
    assert.equal(limited.code, 'RATE_LIMITED');
    assert.equal(fake.requests, before);
  });
});
