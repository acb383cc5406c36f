import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import { LiveDeliveryBus } from '#libs/nats';
import { eventually } from '../support/app-process.js';
import { freePort, natsServer } from '../faults/own-servers.js';

/**
 * Live frames are core NATS, at most once: the fan-out publishes an entry once per process, except after
 * the connection dropped since (its frame may have died with the old connection). The bus's epoch says so.
 */
test("the live bus's epoch moves when the NATS connection drops and comes back", async () => {
  const nats = await natsServer();
  await nats.start();
  const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  try {
    const bus = new LiveDeliveryBus(nc, { namespace: 'epoch', partitions: 1 });
    const before = bus.epoch;
    await nc.flush();
    assert.equal(bus.epoch, before, 'a healthy connection keeps its epoch');
    await nats.kill('SIGKILL');
    await eventually(async () => bus.epoch !== before, 10_000, 'the drop seen');
    await nats.start();
    const dropped = bus.epoch;
    await eventually(async () => bus.epoch !== dropped, 15_000, 'the reconnect seen');
  } finally {
    await nc.close();
    await nats.stop();
  }
});

/**
 * A frame the projector published into a dying connection is lost, and the projector does not publish
 * it again once the event is handled; a device whose own gateway stayed connected would not see it
 * before its next sync (a CI run's cluster case lost a group message on one device that way). So a
 * publisher announces its reconnect, and gateways have their devices sync (LiveSessions.interruptAll).
 */
test('a publisher whose connection fails over announces it on the live subjects', async () => {
  const [portA, portB, routeA, routeB] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const a = await natsServer({
    name: `live-a-${portA}`,
    port: portA,
    cluster: { port: routeA, routes: [routeB] },
  });
  const b = await natsServer({
    name: `live-b-${portB}`,
    port: portB,
    cluster: { port: routeB, routes: [routeA] },
  });
  await Promise.all([a.start(), b.start()]);
  const space = { namespace: 'interrupted', partitions: 1 };
  const gateway = await connect({ servers: b.url });
  // a first, unshuffled: the server killed below is the projector's.
  const projector = await connect({
    servers: [a.url, b.url],
    noRandomize: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 100,
  });
  try {
    const heard: string[] = [];
    const sub = new LiveDeliveryBus(gateway, space).subscribeAll((f) => heard.push(f.kind));
    const bus = new LiveDeliveryBus(projector, space);
    bus.announceInterruptions();
    await gateway.flush();
    await projector.flush();
    assert.equal(heard.length, 0, 'nothing announced while the connection holds');
    await a.kill('SIGKILL'); // the projector's server: it fails over to b
    await eventually(async () => heard.includes('interrupted'), 15_000, 'the interruption heard');
    sub.unsubscribe();
  } finally {
    await Promise.all([gateway.close(), projector.close()]);
    await Promise.all([a.stop(), b.stop()]);
  }
});
