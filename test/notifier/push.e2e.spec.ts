import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatHttpClient } from '#libs/client-sdk';
import { userSubject, type ChatEvent } from '#libs/events';
import { deadLetterStreamName, deadLetterSubject, EventStore, NatsClient, userStreamName } from '#libs/nats';
import { eventually } from '../support/app-process.js';
import { pace, quietPeriod } from '../support/wait.js';
import { ChatStack } from '../support/chat-stack.js';
import { signUp, type TestDevice } from '../support/chat-users.js';
import { FakePushProviders } from '../support/fake-push-providers.js';
import { testVault } from '../support/vault.js';

let stack: ChatStack;
let providers: FakePushProviders;
let http: ChatHttpClient;

const GRACE_MS = 800;
const hex = (c: string): string => c.repeat(64).slice(0, 64);

async function conversation(sender: TestDevice, recipient: TestDevice): Promise<string> {
  if (!sender.client) await sender.connect();
  return (await sender.chat.openDirect(recipient.userId)).conversationId;
}

/** A counter's value on the notifier's /metrics, for the series carrying all these labels. */
async function metric(name: string, ...labels: string[]): Promise<number> {
  const { body } = await stack.notifiers[0]!.get('/metrics');
  const line = body.split('\n').find((l) => l.startsWith(`${name}{`) && labels.every((x) => l.includes(x)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

/** The types (with the removal reason) of a user's events, from the USERS stream. */
async function userEvents(userId: string): Promise<string[]> {
  const nats = await NatsClient.connect(stack.env.nats, 'push-user-events');
  const { vault, close } = testVault(stack.env);
  try {
    const store = new EventStore<ChatEvent>(nats.js, nats.jsm, vault);
    const events = await store.read(userStreamName(nats.topology), userSubject(nats.topology, userId));
    return events.map(({ event }) =>
      event.type === 'PushTokenRemoved' ? `${event.type}:${event.data.reason}` : event.type,
    );
  } finally {
    await nats.close();
    await close();
  }
}

/** Devices the notifier decided not to push to, all reasons (chat_push_skipped_total). */
async function skipped(reason?: string): Promise<number> {
  const { body } = await stack.notifiers[0]!.get('/metrics');
  return body
    .split('\n')
    .filter((l) => l.startsWith('chat_push_skipped_total{') && (!reason || l.includes(`reason="${reason}"`)))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/** Waits until the notifier has decided against `n` more pushes than `from` (the tests run one by one). */
async function skips(from: number, n: number, reason?: string): Promise<void> {
  await eventually(async () => (await skipped(reason)) >= from + n, 15_000, `${n} skipped pushes`);
}

/**
 * A second push to a device would be a redelivery of the event, which waits PUSH_ACK_WAIT_MS (2 s) after
 * a failed attempt; none failed, so this short quiet period after the first push is the assertion.
 */
const NO_SECOND_PUSH_MS = GRACE_MS * 2;

describe('notifier: push notifications for offline devices', () => {
  before(async () => {
    providers = await FakePushProviders.start();
    stack = await ChatStack.start();
    await stack.startNotifier({
      ...providers.notifierVars(),
      PUSH_GRACE_MS: String(GRACE_MS),
      PUSH_COLLAPSE_WINDOW_MS: '1500',
      PUSH_MAX_ATTEMPTS: '3',
      PUSH_RETRY_BASE_MS: '50',
      PUSH_RETRY_MAX_MS: '200',
      PUSH_ACK_WAIT_MS: '2000',
      PUSH_CLAIM_LEASE_MS: '2000',
    });
    http = new ChatHttpClient({ baseUrl: stack.gateways[0]!.url });
  });
  after(async () => {
    await stack.stop();
    await providers.stop();
  });

  test('token registration validates its input with clear codes', async () => {
    const bob = await signUp(stack);
    const bad = async (p: Promise<unknown>, code: string): Promise<void> =>
      assert.rejects(p, (e: { code?: string }) => e.code === code);
    await bad(
      http.registerPushToken(bob.tokens.accessToken, {
        provider: 'apns',
        token: 'zz',
        environment: 'sandbox',
      }),
      'VALIDATION_FAILED',
    );
    await bad(
      http.registerPushToken(bob.tokens.accessToken, {
        provider: 'webpush',
        endpoint: 'not a url',
        keys: { p256dh: 'x', auth: 'y' },
      }),
      'VALIDATION_FAILED',
    );
    await bad(http.removePushToken(bob.tokens.accessToken, 'fcm'), 'NOT_FOUND');
  });

  test('an offline device gets exactly one push on each of its providers, with sender and preview', async () => {
    const alice = await signUp(stack, undefined, 'Alice Pusher');
    const bob = await signUp(stack);
    const sub = providers.webPushSubscription(`wp-${bob.deviceId}`);
    await http.registerPushToken(bob.tokens.accessToken, { provider: 'fcm', token: `fcm-${bob.deviceId}` });
    await http.registerPushToken(bob.tokens.accessToken, {
      provider: 'apns',
      token: hex('ab'),
      environment: 'sandbox',
    });
    await http.registerPushToken(bob.tokens.accessToken, { provider: 'webpush', ...sub });
    const conv = await conversation(alice, bob);
    const { messageId } = await alice.chat.send(conv, 'hello bob');
    await eventually(
      async () =>
        providers.accepted(`fcm-${bob.deviceId}`).length === 1 &&
        providers.accepted(hex('ab')).length === 1 &&
        providers.accepted(`wp-${bob.deviceId}`).length === 1,
      15_000,
      'three pushes',
    );
    await quietPeriod(NO_SECOND_PUSH_MS);
    for (const token of [`fcm-${bob.deviceId}`, hex('ab'), `wp-${bob.deviceId}`]) {
      const got = providers.of(token);
      assert.equal(got.length, 1, `${token}: exactly one push`);
      assert.equal(got[0]!.body, 'hello bob');
      assert.equal(got[0]!.messageId, messageId);
      assert.equal(got[0]!.title, 'Alice Pusher', 'the display name, never the phone number');
    }
    assert.deepEqual(providers.rejectedAuth, []);
  });

  test('an online device that acknowledges gets none; nor does one that acks within the grace period', async () => {
    const alice = await signUp(stack);
    const online = await signUp(stack);
    const late = await signUp(stack);
    await http.registerPushToken(online.tokens.accessToken, {
      provider: 'fcm',
      token: `fcm-${online.deviceId}`,
    });
    await http.registerPushToken(late.tokens.accessToken, { provider: 'fcm', token: `fcm-${late.deviceId}` });
    await online.connect();
    const c1 = await conversation(alice, online);
    const c2 = await conversation(alice, late);
    const from = await skipped();
    await alice.chat.send(c1, 'to online');
    await alice.chat.send(c2, 'to late');
    await pace(GRACE_MS / 3); // the scenario: it comes back a while after the message
    await late.connect(); // comes online and acks within the grace period
    await late.waitForMessages(c2, 1);
    await skips(from, 2); // the notifier decided both, after the grace period
    assert.equal(providers.of(`fcm-${online.deviceId}`).length, 0);
    assert.equal(providers.of(`fcm-${late.deviceId}`).length, 0);
  });

  test('a device the connection registry shows connected gets none', async () => {
    const alice = await signUp(stack);
    const bob = await signUp(stack);
    await http.registerPushToken(bob.tokens.accessToken, { provider: 'fcm', token: `fcm-${bob.deviceId}` });
    const { createRedis } = await import('#libs/redis');
    const redis = createRedis(stack.env.redis, 'push-test');
    await new Promise((r) => redis.once('ready', r));
    await redis.hset(`presence:dev:${bob.userId}`, bob.deviceId, `gateway-1|${Date.now() + 60_000}`);
    const conv = await conversation(alice, bob);
    const from = await skipped('connected');
    await alice.chat.send(conv, 'you are connected');
    await skips(from, 1, 'connected');
    assert.equal(providers.of(`fcm-${bob.deviceId}`).length, 0);
    redis.disconnect();
  });

  test('a muted conversation produces no push; a hidden preview says only "New message"', async () => {
    const alice = await signUp(stack);
    const bob = await signUp(stack);
    const carol = await signUp(stack);
    await http.registerPushToken(bob.tokens.accessToken, { provider: 'fcm', token: `fcm-${bob.deviceId}` });
    await http.registerPushToken(carol.tokens.accessToken, {
      provider: 'fcm',
      token: `fcm-${carol.deviceId}`,
    });
    const muted = await conversation(alice, bob);
    await http.muteConversation(bob.tokens.accessToken, muted, new Date(Date.now() + 3_600_000));
    await http.setNotificationPreview(carol.tokens.accessToken, 'hide');
    const hidden = await conversation(alice, carol);
    // The notifier follows USERS in order: once it pushes to a token registered after the settings, it
    // has applied them.
    const dave = await signUp(stack);
    await http.registerPushToken(dave.tokens.accessToken, { provider: 'fcm', token: `fcm-${dave.deviceId}` });
    await alice.chat.send(await conversation(alice, dave), 'marker');
    await eventually(
      async () => providers.accepted(`fcm-${dave.deviceId}`).length === 1,
      15_000,
      'dave push',
    );
    const mutedFrom = await skipped('muted');
    await alice.chat.send(muted, 'shh');
    await alice.chat.send(hidden, 'secret text');
    await eventually(
      async () => providers.accepted(`fcm-${carol.deviceId}`).length === 1,
      15_000,
      'carol push',
    );
    const [push] = providers.of(`fcm-${carol.deviceId}`);
    assert.equal(push!.title, 'New message');
    assert.doesNotMatch(push!.body ?? '', /secret/);
    await skips(mutedFrom, 1, 'muted');
    assert.equal(providers.of(`fcm-${bob.deviceId}`).length, 0);
  });

  test('several messages within the window collapse into one push with a count', async () => {
    const alice = await signUp(stack);
    const bob = await signUp(stack);
    await http.registerPushToken(bob.tokens.accessToken, { provider: 'fcm', token: `fcm-${bob.deviceId}` });
    const conv = await conversation(alice, bob);
    const from = await skipped();
    for (const t of ['one', 'two', 'three']) await alice.chat.send(conv, t);
    await eventually(async () => providers.accepted(`fcm-${bob.deviceId}`).length >= 1, 15_000, 'a push');
    await skips(from, 2); // the first two, folded into the third's push
    const got = providers.of(`fcm-${bob.deviceId}`);
    assert.equal(got.length, 1, 'one notification');
    assert.equal(got[0]!.count, 3);
    assert.equal(got[0]!.collapseKey, conv);
    assert.match(got[0]!.body ?? '', /^three/);
  });

  test('a token the provider reports unregistered is removed; 5xx is retried then dead-lettered', async () => {
    const alice = await signUp(stack);
    const bob = await signUp(stack);
    const carol = await signUp(stack);
    await http.registerPushToken(bob.tokens.accessToken, {
      provider: 'apns',
      token: hex('dead'),
      environment: 'production',
    });
    await http.registerPushToken(carol.tokens.accessToken, {
      provider: 'fcm',
      token: `flaky-${carol.deviceId}`,
    });
    const toBob = await conversation(alice, bob);
    const toCarol = await conversation(alice, carol);
    await alice.chat.send(toBob, 'to a dead token');
    await alice.chat.send(toCarol, 'to a flaky provider');
    await eventually(async () => providers.of(hex('dead')).length === 1, 15_000, 'apns attempt');
    // The notifier removed it through the user aggregate, as the provider's refusal.
    await eventually(
      async () => (await userEvents(bob.userId)).includes('PushTokenRemoved:invalid'),
      10_000,
      'token removed',
    );
    await assert.rejects(
      http.removePushToken(bob.tokens.accessToken, 'apns'),
      (e: { code?: string }) => e.code === 'NOT_FOUND',
    );
    await eventually(
      async () => providers.of(`flaky-${carol.deviceId}`).length === 3,
      15_000,
      'three attempts',
    );
    await eventually(
      async () => (await metric('chat_push_dead_lettered_total', 'provider="fcm"')) === 1,
      5000,
      'dead letter counted',
    );
    assert.equal(await metric('chat_push_retried_total', 'provider="fcm"'), 2);
    assert.equal(await metric('chat_push_failed_total', 'provider="apns"', 'reason="invalid_token"'), 1);
    assert.equal(await metric('chat_push_tokens_removed_total', 'provider="apns"'), 1);

    // The dead letter is on the DLQ stream with its error.
    const nats = await NatsClient.connect(stack.env.nats, 'push-dlq-test');
    try {
      const last = await nats.jsm.streams.getMessage(deadLetterStreamName(nats.topology), {
        last_by_subj: deadLetterSubject(nats.topology, 'notifier'),
      });
      const letter = JSON.parse(new TextDecoder().decode(last!.data)) as Record<string, unknown>;
      assert.equal(letter.deviceId, carol.deviceId);
      assert.equal(letter.provider, 'fcm');
      assert.equal(letter.attempts, 3);
      assert.match(String(letter.error), /fcm 503/);
    } finally {
      await nats.close();
    }
  });

  test('latency from send to the provider accepting the push (p50/p99, grace period included)', async (t) => {
    const alice = await signUp(stack);
    await alice.connect();
    const runs: Array<{ token: string; conv: string; sentAt: number }> = [];
    for (let i = 0; i < 20; i++) {
      const r = await signUp(stack);
      await http.registerPushToken(r.tokens.accessToken, { provider: 'fcm', token: `lat-${r.deviceId}` });
      runs.push({
        token: `lat-${r.deviceId}`,
        conv: (await alice.chat.openDirect(r.userId)).conversationId,
        sentAt: 0,
      });
    }
    for (const run of runs) {
      run.sentAt = Date.now();
      await alice.chat.send(run.conv, 'latency');
    }
    await eventually(
      async () => runs.every((r) => providers.accepted(r.token).length === 1),
      20_000,
      'all pushes',
    );
    const ms = runs.map((r) => providers.accepted(r.token)[0]!.at - r.sentAt).sort((a, b) => a - b);
    const pct = (p: number): number => ms[Math.min(ms.length - 1, Math.ceil((p / 100) * ms.length) - 1)]!;
    t.diagnostic(
      `push latency, send -> provider accepted (grace ${GRACE_MS} ms): p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${ms.at(-1)} ms`,
    );
    assert.ok(pct(50) >= GRACE_MS, 'no push before the grace period');
    assert.ok(pct(99) < GRACE_MS + 5000, 'pushes follow the grace period closely');
  });
});
