import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { headers } from '@nats-io/transport-node';
import { pino } from 'pino';
import { createCassandraClient, migrate, type CqlClient } from '#libs/cassandra';
import { EVENT_HEADERS, userSubject } from '#libs/events';
import { NatsClient, provisionStreams, streamTopology } from '#libs/nats';
import { DeviceStore } from '#libs/read-models';
import { DeviceDirectory } from '../../apps/projector/src/projections/device-directory.js';
import { UserChangesFollower } from '../../apps/projector/src/projections/user-changes-follower.js';
import { UsersBarrier } from '../../apps/projector/src/projections/users-barrier.js';
import { cleanupTestEnv } from '../support/cleanup.js';
import { createTestEnv } from '../support/test-env.js';
import { quietPeriod } from '../support/wait.js';

/*
 * Before a message fans out, the projector must know every device its recipients had when it was sent.
 * It used to wait until the users projection had applied all of USERS, so profile, privacy and block
 * events piling up there delayed every message behind them (the fuzzing fairness test saw 100-200 ms
 * on the well-behaved pair's messages, and up to the barrier's 5 s cap). Now a fan-out waits for this
 * process to have seen the device changes (headers only, never behind), and only a recipient whose
 * devices changed waits for the users projection to apply that change.
 */
const env = createTestEnv();
const silent = pino({ level: 'silent' });
let nats: NatsClient;
let cql: CqlClient;
let devices: DeviceStore;
let barrier: UsersBarrier;
let directory: DeviceDirectory;
let follower: UserChangesFollower;
/** The users projection's floor, as ProjectionRunner hands it to the barrier; the test moves it. */
let usersFloor = 0;

/** Far below the barrier's 5 s cap, above a few round trips on a busy machine. */
const PROMPT_MS = 1000;
/** Long enough for a wait that should end to end, on a busy machine. */
const NOT_SETTLED_MS = 300;

async function appendUserEvent(userId: string, type: string): Promise<number> {
  const h = headers();
  h.set(EVENT_HEADERS.type, type);
  // The follower reads headers only; what the users projection would decode is not needed here.
  return (await nats.js.publish(userSubject(nats.topology, userId), new Uint8Array(), { headers: h })).seq;
}

const device = (userId: string, deviceId: string) => ({
  userId,
  deviceId,
  kind: 'linked' as const,
  name: deviceId,
  addedAt: new Date().toISOString(),
});

async function within<T>(ms: number, p: Promise<T>): Promise<{ value: T } | undefined> {
  return Promise.race([p.then((value) => ({ value })), quietPeriod(ms).then(() => undefined)]);
}

describe('fan-out waits for device changes only (real nats-server and Cassandra)', () => {
  before(async () => {
    nats = await NatsClient.connect(env.nats, 'users-barrier-test');
    await provisionStreams(nats.jsm, streamTopology(nats.topology), 1);
    await migrate(env.cassandra);
    cql = createCassandraClient(env.cassandra);
    devices = new DeviceStore(cql);
    barrier = new UsersBarrier(nats, silent);
    barrier.useFloor(() => usersFloor);
    directory = new DeviceDirectory(devices, barrier);
    follower = new UserChangesFollower(nats, directory, barrier, silent);
    await follower.start();
  });
  after(async () => {
    await follower.onModuleDestroy();
    await cql.shutdown();
    await nats.close();
    await cleanupTestEnv(env);
  });

  test('a backlog of profile events in the users projection delays no fan-out', async () => {
    await devices.add(device('alice', 'a1'), 1);
    let last = 0;
    for (let i = 0; i < 50; i++) last = await appendUserEvent('alice', 'ProfileChanged');
    // The users projection applied none of them (its floor stays at 0).
    const started = performance.now();
    const caught = await within(PROMPT_MS, barrier.caughtUp());
    assert.deepEqual(caught, { value: last }, 'caught up with the stream at once, not after the 5 s cap');
    assert.deepEqual(await directory.of('alice'), ['a1']);
    assert.ok(performance.now() - started < PROMPT_MS);
  });

  test('a recipient whose devices changed waits for that change to be applied, and gets the new device', async () => {
    await devices.add(device('bob', 'b1'), 1);
    assert.deepEqual(await directory.of('bob'), ['b1'], 'held in memory from now on');
    const added = await appendUserEvent('bob', 'DeviceAdded');
    await barrier.caughtUp(); // the follower has seen the change: bob's held list is dropped
    const list = directory.of('bob');
    assert.equal(await within(NOT_SETTLED_MS, list), undefined, 'waits while the change is not applied');
    // The users projection applies it: the row, then its floor.
    await devices.add(device('bob', 'b2'), added);
    usersFloor = added;
    assert.deepEqual([...(await list)].sort(), ['b1', 'b2']);
    // Others are not held up by bob's change.
    assert.deepEqual(await within(PROMPT_MS, directory.of('alice')), { value: ['a1'] });
  });
});
