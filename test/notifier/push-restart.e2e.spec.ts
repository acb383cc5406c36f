import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatHttpClient } from '#libs/client-sdk';
import { eventually } from '../support/app-process.js';
import { ChatStack } from '../support/chat-stack.js';
import { signUp, type TestDevice } from '../support/chat-users.js';
import { FakePushProviders } from '../support/fake-push-providers.js';

let stack: ChatStack;
let providers: FakePushProviders;

const N = 15;
const LEASE_MS = 2000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('notifier restart', () => {
  before(async () => {
    providers = await FakePushProviders.start();
    stack = await ChatStack.start();
  });
  after(async () => {
    await stack.stop();
    await providers.stop();
  });

  test('a notifier killed mid-batch and restarted sends every push once, none twice', async () => {
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
    for (const c of conversations) await alice.chat.send(c, 'ping');

    // The slow provider takes 3 pushes at a time: kill the notifier with most of the batch still to go.
    await eventually(async () => received() >= 4, 15_000, 'first pushes');
    await first.stop('SIGKILL');
    const atKill = received();
    assert.ok(atKill < N, `the batch was still in progress at the kill (${atKill} of ${N})`);

    const second = await stack.startNotifier(vars);
    await eventually(
      async () => tokens.every((t) => providers.of(t).length >= 1),
      30_000,
      'every push',
    ).catch((err: Error) => {
      const got = tokens.map((t) => providers.of(t).length).join(',');
      throw new Error(
        `${err.message}; per token ${got}; at kill ${atKill}\n${second.output.join('').slice(-3000)}`,
      );
    });
    await sleep(LEASE_MS + 2500); // long enough for any redelivery to have pushed again
    for (const t of tokens) assert.equal(providers.of(t).length, 1, `${t}: exactly one push`);
  });
});
