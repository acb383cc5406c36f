import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import WebSocket from 'ws';
import { ChatClient } from '#libs/client-sdk';
import { createCassandraClient } from '#libs/cassandra';
import { createRedis } from '#libs/redis';
import { chatEventCodec, presenceSubject } from '#libs/events';
import { presenceStreamName } from '#libs/nats';
import { eventually } from '../support/app-process.js';
import { ChatStack } from '../support/chat-stack.js';
import { signUp, type TestDevice } from '../support/chat-users.js';
import {
  PRESENCE_TEST_ENV,
  PresenceDevice,
  REGISTRY_TTL_MS,
  SWEEP_MS,
  THRESHOLD_MS,
} from './presence-support.js';
import { quietPeriod } from '../support/wait.js';

/** Heartbeating through this long (well past the threshold) with no offline is the assertion itself. */
const HEARTBEATING_MS = THRESHOLD_MS * 2.5;

let stack: ChatStack;
let watcherUser: TestDevice;
let watcher: PresenceDevice;

/** Signs up a user who shares a conversation with the watcher (so privacy is never in the way). */
async function contactOfWatcher(): Promise<TestDevice> {
  const user = await signUp(stack);
  await watcher.client.openDirect(user.userId);
  return user;
}

/** The presence events stored for a user, in order. */
async function storedTransitions(
  userId: string,
): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
  const nc = await connect({ servers: stack.env.nats.NATS_URL });
  try {
    const jsm = await jetstreamManager(nc);
    const space = { namespace: stack.env.nats.NATS_NAMESPACE, partitions: 1 };
    const stream = presenceStreamName(space);
    const subject = presenceSubject(space, userId);
    const info = await jsm.streams.info(stream, { subjects_filter: subject });
    const out: Array<{ type: string; data: Record<string, unknown> }> = [];
    const last = info.state.last_seq;
    for (let seq = 1; seq <= last; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (!m || m.subject !== subject) continue;
      const e = chatEventCodec.decode(m.data);
      out.push({ type: e.type, data: e.data as Record<string, unknown> });
    }
    return out;
  } finally {
    await nc.close();
  }
}

describe('presence: heartbeats, last seen, crashed gateways', () => {
  before(async () => {
    stack = await ChatStack.start({ gateways: 2, overrides: { ...PRESENCE_TEST_ENV } });
    watcherUser = await signUp(stack);
    watcher = await PresenceDevice.connect(watcherUser, [stack.wsUrl(stack.gateways[0]!)]);
  });
  after(async () => {
    await watcher?.close();
    await stack.stop();
  });

  test('heartbeats keep a device online well past the threshold; live updates follow connect and disconnect', async () => {
    const erin = await contactOfWatcher();
    const [before] = await watcher.client.watchPresence([erin.userId]);
    assert.deepEqual(before, {
      userId: erin.userId,
      visible: { online: true, lastSeen: true },
      online: false,
    });
    const device = await PresenceDevice.connect(erin, [stack.wsUrl(stack.gateways[1]!)]);
    await watcher.waitForPresence(erin.userId, (p) => p.online === true);
    await quietPeriod(HEARTBEATING_MS);
    assert.ok(
      !watcher.presence.some((p) => p.userId === erin.userId && p.online === false),
      'no offline while heartbeating',
    );
    const [now] = await watcher.client.watchPresence([erin.userId]);
    assert.equal(now?.online, true);
    const closedAt = Date.now();
    await device.close();
    const off = await watcher.waitForPresence(erin.userId, (p) => p.online === false, 5000);
    assert.ok(off.lastSeen, 'offline comes with the last seen');
    assert.ok(Math.abs(Date.parse(off.lastSeen) - closedAt) < 1000, 'last seen is when the device left');
    assert.ok(off.receivedAt - closedAt < SWEEP_MS + 1000, 'a clean disconnect shows at the next sweep');
    const events = await storedTransitions(erin.userId);
    assert.deepEqual(
      events.map((e) => e.type),
      ['UserCameOnline', 'UserWentOffline'],
      'one event per real transition',
    );
  });

  test('a device that goes quiet is offline after the threshold, with the last seen of its last frame', async () => {
    const frank = await contactOfWatcher();
    const device = await PresenceDevice.connect(frank, [stack.wsUrl(stack.gateways[0]!)], {
      heartbeat: false,
    });
    await watcher.client.watchPresence([frank.userId]);
    await device.client.ping();
    const lastFrame = Date.now();
    const off = await watcher.waitForPresence(frank.userId, (p) => p.online === false, 10_000);
    const quietFor = off.receivedAt - lastFrame;
    assert.ok(quietFor >= THRESHOLD_MS - 150, `not before the threshold (after ${quietFor} ms)`);
    assert.ok(quietFor < THRESHOLD_MS + SWEEP_MS + 1000, `soon after the threshold (after ${quietFor} ms)`);
    assert.ok(Math.abs(Date.parse(off.lastSeen!) - lastFrame) < 300, 'last seen is the last frame');
    await device.close();
  });

  test('a gateway killed with devices connected: they show offline within threshold + TTL, with the right last seen, once', async () => {
    const victims = [await contactOfWatcher(), await contactOfWatcher()];
    const doomed = stack.gateways[1]!;
    // Only the doomed gateway: after the kill they cannot come back elsewhere.
    await watcher.client.watchPresence(victims.map((v) => v.userId));
    const devices = await Promise.all(victims.map((v) => PresenceDevice.connect(v, [stack.wsUrl(doomed)])));
    for (const v of victims) await watcher.waitForPresence(v.userId, (p) => p.online === true);
    // A heartbeat answered on each (the client's own run every 300 ms from connect beside it): what
    // last seen holds at the kill is a heartbeat's time.
    await Promise.all(devices.map((d) => d.client.heartbeat()));
    const killedAt = Date.now();
    await doomed.stop('SIGKILL');
    for (const v of victims) {
      const off = await watcher.waitForPresence(
        v.userId,
        (p) => p.online === false,
        THRESHOLD_MS + REGISTRY_TTL_MS + 3000,
      );
      assert.ok(off.receivedAt - killedAt <= THRESHOLD_MS + REGISTRY_TTL_MS + 500, 'within threshold + TTL');
      const lastSeen = Date.parse(off.lastSeen!);
      assert.ok(lastSeen <= killedAt, 'last seen is not after the crash');
      assert.ok(killedAt - lastSeen < 300 + 100 + 200, 'last seen is the last heartbeat before the crash');
      assert.deepEqual(
        (await storedTransitions(v.userId)).map((e) => e.type),
        ['UserCameOnline', 'UserWentOffline'],
      );
    }
    await Promise.all(devices.map((d) => d.close()));
    await stack.startGateway();
  });

  test('last seen survives losing the Redis keys: it comes back from Cassandra', async () => {
    const gina = await contactOfWatcher();
    await watcher.client.watchPresence([gina.userId]);
    const device = await PresenceDevice.connect(gina, [stack.wsUrls[0]!]);
    await watcher.waitForPresence(gina.userId, (p) => p.online === true);
    await device.close();
    const off = await watcher.waitForPresence(gina.userId, (p) => p.online === false);
    // The projector writes it to last_seen_by_user; wait for that before losing Redis.
    await eventually(async () => (await storedTransitions(gina.userId)).length === 2, 5000, 'offline stored');
    const cql = createCassandraClient(stack.env.cassandra);
    try {
      await eventually(
        async () => {
          const rs = await cql.execute(
            'SELECT last_seen FROM last_seen_by_user WHERE user_id = ?',
            [gina.userId],
            {
              prepare: true,
            },
          );
          const at = rs.first()?.get('last_seen') as Date | null | undefined;
          return at?.getTime() === Date.parse(off.lastSeen!);
        },
        10_000,
        'the offline last seen written to last_seen_by_user',
      );
    } finally {
      await cql.shutdown();
    }
    const redis = createRedis(stack.env.redis, 'presence-test');
    await new Promise((resolve) => redis.once('ready', resolve));
    try {
      const keys = await redis.keys(`${stack.env.id}:presence:*`);
      assert.ok(keys.length > 0, 'presence lives in Redis');
      await redis.unlink(...keys.map((k) => k.slice(stack.env.id.length + 1)));
    } finally {
      redis.disconnect();
    }
    await eventually(
      async () => {
        const [state] = await watcher.client.watchPresence([gina.userId]);
        return state?.online === false && state.lastSeen === off.lastSeen;
      },
      5000,
      'last seen read back from Cassandra',
    );
  });

  test('heartbeats from an unauthenticated socket are refused and the socket closed', async () => {
    for (const headers of [{}, { authorization: 'Bearer not-a-token' }]) {
      const ws = new WebSocket(stack.wsUrls[0]!, { headers });
      ws.on('error', () => undefined);
      ws.on('open', () => ws.send(JSON.stringify({ type: 'presence.heartbeat', id: 'h1', data: {} })));
      const frames: string[] = [];
      ws.on('message', (d) => frames.push(d.toString()));
      const [code, reason] = await new Promise<[number, string]>((resolve) =>
        ws.on('close', (c, r) => resolve([c, r.toString()])),
      );
      assert.equal(code, 4401);
      assert.equal(reason, 'UNAUTHENTICATED');
      assert.deepEqual(frames, [], 'the heartbeat got no answer');
    }
  });

  test('the heartbeat frame answers the interval the gateway wants', async () => {
    const client = new ChatClient({
      urls: [stack.wsUrls[0]!],
      getAccessToken: () => watcherUser.tokens.accessToken,
      heartbeat: false,
    });
    await client.connect();
    try {
      assert.deepEqual(await client.heartbeat(), { intervalMs: 300 });
    } finally {
      await client.close();
    }
  });
});
