import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatHttpClient } from '#libs/client-sdk';
import { createRedis } from '#libs/redis';
import { DURABLES, NatsClient } from '#libs/nats';
import { eventually } from '../support/app-process.js';
import { consumerCaughtUp } from '../support/consumers.js';
import { ChatStack } from '../support/chat-stack.js';
import { signUp, type TestDevice } from '../support/chat-users.js';
import { FakePushProviders } from '../support/fake-push-providers.js';

let stack: ChatStack;
let providers: FakePushProviders;

const N = 15;
const LEASE_MS = 2000;

describe('notifier restart', () => {
  before(async () => {
    providers = await FakePushProviders.start();
    stack = await ChatStack.start();
  });
  after(async () => {
    await stack.stop();
    await providers.stop();
  });

  test('a notifier killed mid-batch and restarted sends no push twice, and every push not in flight at the kill', async () => {
    const vars = {
      ...providers.notifierVars(),
      PUSH_GRACE_MS: '300',
      PUSH_CONCURRENCY_PER_PROVIDER: '3',
      PUSH_ACK_WAIT_MS: '2000',
      PUSH_CLAIM_LEASE_MS: String(LEASE_MS),
    };
    const first = await stack.startNotifier(vars);
    const http = new ChatHttpClient({ baseUrl: stack.gateways[0]!.url });
    const alice = await signUp(stack);
    await alice.connect();
    const recipients: TestDevice[] = [];
    const conversations: string[] = [];
    for (let i = 0; i < N; i++) {
      const r = await signUp(stack);
      await http.registerPushToken(r.tokens.accessToken, { provider: 'fcm', token: `slow-${r.deviceId}` });
      recipients.push(r);
      conversations.push((await alice.chat.openDirect(r.userId)).conversationId);
    }
    const tokens = recipients.map((r) => `slow-${r.deviceId}`);
    const received = (): number => providers.received.filter((p) => tokens.includes(p.token)).length;
    const messageIds: string[] = [];
    for (const c of conversations) messageIds.push((await alice.chat.send(c, 'ping')).messageId);

    // The slow provider takes 3 pushes at a time: kill the notifier with most of the batch still to go.
    await eventually(async () => received() >= 4, 15_000, 'first pushes');
    await first.stop('SIGKILL');
    const atKill = received();
    assert.ok(atKill < N, `the batch was still in progress at the kill (${atKill} of ${N})`);

    await stack.startNotifier(vars);
    // A push whose request was leaving when the notifier died is never sent again (the provider may have
    // it: at most once per device and message); the ledger says so. Every other push arrives, once.
    const redis = createRedis(stack.env.redis, 'push-restart-test');
    await new Promise((r) => redis.once('ready', r));
    const claim = (i: number): Promise<string | null> =>
      redis.get(`push:claim:${recipients[i]!.deviceId}:${messageIds[i]!}`);
    const settled = async (): Promise<boolean[]> =>
      Promise.all(tokens.map(async (t, i) => providers.of(t).length >= 1 || (await claim(i)) === 'sending'));
    try {
      await eventually(async () => (await settled()).every(Boolean), 30_000, 'every push decided');
      // No redelivery can push again once the notifiers' consumer has acknowledged every event: one
      // whose claim another attempt held is naked and comes back until it is decided.
      const nats = await NatsClient.connect(stack.env.nats, 'push-restart-test');
      try {
        await eventually(
          () => consumerCaughtUp(nats, DURABLES.notifierMessages),
          LEASE_MS * 10,
          'every event acknowledged',
        );
      } finally {
        await nats.close();
      }
      const lostInFlight: string[] = [];
      for (const [i, t] of tokens.entries()) {
        const n = providers.of(t).length;
        assert.ok(n <= 1, `${t}: ${n} pushes`);
        if (n === 0) {
          assert.equal(await claim(i), 'sending', `${t}: no push, and not in flight at the kill`);
          lostInFlight.push(t);
        }
      }
      assert.ok(lostInFlight.length <= 3, 'only requests in flight at the kill (3 slots) may be lost');
    } finally {
      redis.disconnect();
    }
  });

  test('a slow provider queues only its own pushes: APNs is not held up behind a slow FCM', async () => {
    // The notifier started by the previous test is running, with 3 FCM slots and a 300 ms slow FCM.
    const http = new ChatHttpClient({ baseUrl: stack.gateways[0]!.url });
    const alice = await signUp(stack);
    await alice.connect();
    const fcmTokens: string[] = [];
    const conversations: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await signUp(stack);
      fcmTokens.push(`slow-${r.deviceId}`);
      await http.registerPushToken(r.tokens.accessToken, { provider: 'fcm', token: `slow-${r.deviceId}` });
      conversations.push((await alice.chat.openDirect(r.userId)).conversationId);
    }
    const iphone = await signUp(stack);
    const apnsToken = `${iphone.deviceId.replace(/[^0-9a-f]/gi, '').toLowerCase()}${'0'.repeat(64)}`.slice(
      0,
      64,
    );
    await http.registerPushToken(iphone.tokens.accessToken, {
      provider: 'apns',
      token: apnsToken,
      environment: 'production',
    });
    conversations.push((await alice.chat.openDirect(iphone.userId)).conversationId);
    for (const c of conversations) await alice.chat.send(c, 'burst');
    await eventually(
      async () =>
        fcmTokens.every((t) => providers.of(t).length === 1) && providers.of(apnsToken).length === 1,
      20_000,
      'all pushes',
    );
    const lastFcm = Math.max(...fcmTokens.map((t) => providers.of(t)[0]!.at));
    const firstFcm = Math.min(...fcmTokens.map((t) => providers.of(t)[0]!.at));
    const apns = providers.of(apnsToken)[0]!.at;
    assert.ok(lastFcm - firstFcm >= 900, `FCM was the bottleneck (${lastFcm - firstFcm} ms for 12 pushes)`);
    assert.ok(apns < lastFcm - 500, `APNs pushed ${lastFcm - apns} ms before the last FCM push`);
  });
});
