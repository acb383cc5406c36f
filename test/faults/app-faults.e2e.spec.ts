import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { partitionOf } from '#libs/events';
import { partitionLeaseKey } from '#libs/nats';
import { eventually } from '../support/app-process.js';
import { ChatStack, SCALED_OUT } from '../support/chat-stack.js';
import { FakePushProviders } from '../support/fake-push-providers.js';
import { createRedis } from '#libs/redis';
import { report, startTraffic } from './traffic.js';

let stack: ChatStack;
let providers: FakePushProviders;

/**
 * kill -9 of each app under steady 1:1 and group traffic, on the scaled-out stack (4 partitions, two
 * of every app): the ledger's verdict and the recovery time (fault to every device receiving again).
 */
describe('faults: an app killed under load (4 partitions, 2 gateways, 2 projectors, 2 notifiers)', () => {
  before(async () => {
    providers = await FakePushProviders.start();
    stack = await ChatStack.start({
      ...SCALED_OUT,
      notifierVars: {
        ...providers.notifierVars(),
        PUSH_GRACE_MS: '200',
        PUSH_COLLAPSE_WINDOW_MS: '0',
        PUSH_ACK_WAIT_MS: '2000',
        PUSH_CLAIM_LEASE_MS: '1500',
      },
    });
  });
  after(async () => {
    await stack?.stop();
    await providers?.stop();
  });

  test('kill -9 of a gateway: its devices move to the other one; nothing lost, nothing doubled', async () => {
    const t = await startTraffic(stack);
    await t.ledger.flowing(10);
    t.ledger.fault();
    await stack.gateways[1]!.stop('SIGKILL'); // Bob's first device and Carol (a sender) were on it
    await t.ledger.flowing(20, 30_000);
    await t.ledger.stop();
    const verdict = await t.ledger.verify();
    report('kill -9 gateway', t.ledger.recoveryMs(), verdict);
    await stack.startGateway();
  });

  test('kill -9 of the projector owning the 1:1 partition: another takes its lease; seq stays exact', async () => {
    const t = await startTraffic(stack);
    const partition = partitionOf(t.direct.conversationId, stack.env.nats.CHAT_STREAM_PARTITIONS);
    const key = partitionLeaseKey(partition);
    const owner = await stack.projectorHolding(key);
    const before = (await stack.leaseHolders()).get(key);
    await t.ledger.flowing(15);
    t.ledger.fault();
    const killedAt = Date.now();
    await owner.stop('SIGKILL');
    let handOverMs = 0;
    await eventually(
      async () => {
        const now = (await stack.leaseHolders()).get(key);
        if (now === undefined || now === before) return false;
        handOverMs = Date.now() - killedAt;
        return true;
      },
      15_000,
      'the partition lease taken by the surviving projector',
    );
    await t.ledger.flowing(20, 30_000);
    await t.ledger.stop();
    const verdict = await t.ledger.verify();
    report('kill -9 partition-owning projector', t.ledger.recoveryMs(), verdict);
    console.log(`fault-recovery ${JSON.stringify({ fault: 'projector lease hand-over', handOverMs })}`);
    // The test stacks lease for 4 s, renewed every second: the lease expires at most 4 s after the kill.
    assert.ok(handOverMs < 7000, `hand-over within a few seconds (${handOverMs} ms)`);
    await stack.startProjector();
    await stack.leasesSettled();
  });

  test('kill -9 of a notifier: pushes go on from the other; none doubled, none lost but those in flight', async () => {
    const t = await startTraffic(stack, { offline: true });
    const token = t.pushToken!;
    await eventually(async () => providers.of(token).length >= 3, 15_000, 'pushes flowing');
    t.ledger.fault();
    const killedAt = Date.now();
    await stack.notifiers[0]!.stop('SIGKILL');
    await t.ledger.flowing(20, 30_000);
    await t.ledger.stop();
    const verdict = await t.ledger.verify();
    report('kill -9 notifier', t.ledger.recoveryMs(), verdict);
    const pushed = (): string[] => providers.of(token).map((p) => p.messageId ?? '');
    const expected = t.ledger.messageIds('push');
    // Each message is pushed to the offline device once. At most once: a request leaving when the
    // notifier died is not sent again, and the push ledger (its claim, `sending`) says which those were.
    const redis = createRedis(stack.env.redis, 'fault-notifier-test');
    const claim = (id: string): Promise<string | null> =>
      redis.get(`push:claim:${t.offline!.deviceId}:${id}`);
    try {
      await eventually(
        async () => {
          const missing = expected.filter((id) => !pushed().includes(id));
          const claims = await Promise.all(missing.map(claim));
          return claims.every((c) => c === 'sending');
        },
        30_000,
        'every push sent, but those in flight at the kill',
      );
      const inFlight = expected.filter((id) => !pushed().includes(id)).length;
      console.log(
        `fault-recovery ${JSON.stringify({ fault: 'kill -9 notifier: pushes in flight at the kill, not resent', inFlight })}`,
      );
      assert.ok(inFlight <= 8, `only requests in flight at the kill are missing (${inFlight})`);
    } finally {
      redis.disconnect();
    }
    const counts = new Map<string, number>();
    for (const id of pushed()) counts.set(id, (counts.get(id) ?? 0) + 1);
    const doubled = [...counts].filter(([, n]) => n > 1);
    assert.deepEqual(doubled, [], 'no push twice');
    // Pushes of messages the dead notifier held come back after PUSH_ACK_WAIT_MS: the longest push gap.
    const ats = providers
      .of(token)
      .map((p) => p.at)
      .filter((at) => at >= killedAt)
      .sort((a, b) => a - b);
    const gaps = ats.map((at, i) => at - (i === 0 ? killedAt : ats[i - 1]!));
    console.log(
      `fault-recovery ${JSON.stringify({ fault: 'kill -9 notifier: longest gap between pushes', gapMs: Math.max(0, ...gaps) })}`,
    );
    await stack.startNotifier();
  });
});
