import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WebSocket } from 'ws';
import { pino } from 'pino';
import { projectionProgressSubject } from '#libs/events';
import { LiveDeliveryBus, NatsClient, type ProjectionProgress } from '#libs/nats';
import { MetricsService } from '#libs/platform';
import { DeviceConnection } from '../../apps/gateway/src/ws/device-connection.js';
import { LiveProgress } from '../../apps/gateway/src/ws/live-progress.js';
import { LiveSessions } from '../../apps/gateway/src/ws/live-sessions.js';
import { eventually } from '../support/app-process.js';
import { cleanupTestEnv } from '../support/cleanup.js';
import { createTestEnv } from '../support/test-env.js';
import { quietPeriod } from '../support/wait.js';

/*
 * A device's first sync waits until what was published live before it registered is persisted. After
 * a break in the live feed, the last `published` this gateway heard may be behind: the frames lost in
 * the break were announced in the same lost stretch. A device registering then must wait for the
 * reactor's next announcement, or its sync reads the inbox before the lost frame's row is written and
 * it never gets that message (a CI run's R3 leader kill lost one so).
 */
const env = createTestEnv();
let nats: NatsClient;
let progress: LiveProgress;
let sessions: LiveSessions;

/** Long enough for a progress published before it to reach the gateway's subscription on a busy machine. */
const NOT_SETTLED_MS = 300;

const closed: string[] = [];
const device = (id: string): DeviceConnection =>
  new DeviceConnection('u1', id, { close: () => void closed.push(id) } as unknown as WebSocket, `u1-${id}`);

async function announce(p: ProjectionProgress): Promise<void> {
  nats.nc.publish(projectionProgressSubject(nats.topology), JSON.stringify(p));
  await nats.nc.flush();
}

/** Whether `settled` resolved within NOT_SETTLED_MS (it stays pending otherwise and is awaited later). */
async function settledSoon(settled: Promise<void>): Promise<boolean> {
  return Promise.race([settled.then(() => true), quietPeriod(NOT_SETTLED_MS).then(() => false)]);
}

describe('live sessions after a break in the live feed (real nats-server)', () => {
  before(async () => {
    nats = await NatsClient.connect(env.nats, 'live-sessions-test');
    progress = new LiveProgress(nats, pino({ level: 'silent' }));
    sessions = new LiveSessions(
      new LiveDeliveryBus(nats.nc, nats.topology),
      nats,
      progress,
      pino({ level: 'silent' }),
      new MetricsService(),
    );
    sessions.onModuleInit();
  });
  after(async () => {
    sessions.onModuleDestroy();
    progress.onModuleDestroy();
    await nats.close();
    await cleanupTestEnv(env);
  });

  test("a device registering after the break waits for the reactor's next announcement", async () => {
    for (let p = 0; p < nats.topology.partitions; p++)
      await announce({ partition: p, published: 5, floor: 5 });
    await eventually(async () => progress.current(nats.topology.partitions - 1)?.floor === 5, 5000, 'heard');
    const before = device('before');
    sessions.add(before);
    assert.ok(await settledSoon(sessions.settled(before)), 'everything heard is persisted');

    sessions.interruptAll('test');
    assert.deepEqual(closed, ['before'], 'the socket is closed');
    sessions.remove(before);

    // Frame 9 of partition 0 went out in the break, and so did its announcement; the reactor's next one
    // says it was published, and the floor reaches it once its row is written.
    const after = device('after');
    sessions.add(after);
    const settled = sessions.settled(after);
    assert.equal(await settledSoon(settled), false, 'waits for the next announcement');
    for (let p = 1; p < nats.topology.partitions; p++)
      await announce({ partition: p, published: 5, floor: 5 });
    await announce({ partition: 0, published: 9, floor: 5 });
    assert.equal(await settledSoon(settled), false, 'waits for frame 9 to be persisted');
    await announce({ partition: 0, published: 9, floor: 9 });
    await settled;
  });
});
