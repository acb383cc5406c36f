import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { pino } from 'pino';
import { DurableConsumer, ensureDurable } from '#libs/nats';
import { eventually } from '../support/wait.js';

/*
 * A partition's consumer computes its floor (every event at or below it finished) in process; gateways
 * hold a new device's first sync until the floor passes what went out live. After a hand-over the new
 * holder starts from the server's ack floor while the previous holder's events may still come back.
 * When the previous holder finished them itself (its acknowledgements landed after the new one started)
 * and the partition then went quiet, the floor stayed at the ack floor seen at start: every device's
 * first sync on every gateway waited for the next event of that partition (a CI run's notifier fault
 * test saw syncs time out for a minute).
 */
const id = `t${randomBytes(4).toString('hex')}`;
const stream = `${id.toUpperCase()}_FLOOR`;
const subject = `${id}.floor.events`;
const durable = 'floor-test';
/** Longer than the test: nothing the previous holder took comes back to the new one meanwhile. */
const ACK_WAIT_MS = 60_000;

let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;

async function publish(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await js.publish(subject, new TextEncoder().encode(`event ${i}`));
}

describe("a partition consumer's floor after a hand-over (real nats-server)", () => {
  before(async () => {
    nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [subject] });
    await ensureDurable(jsm, { stream, durable, ackWaitMs: ACK_WAIT_MS });
  });
  after(async () => {
    await jsm.streams.delete(stream);
    await nc.close();
  });

  test('reaches what the previous holder finished, then follows its own events', async () => {
    await publish(5);
    // The previous holder: it took all five and has not acknowledged them yet.
    const taken: JsMsg[] = [];
    for await (const m of await (await js.consumers.get(stream, durable)).fetch({ max_messages: 5 }))
      taken.push(m);
    assert.equal(taken.length, 5);

    const handled: number[] = [];
    const consumer = new DurableConsumer(js, jsm, {
      stream,
      durable,
      keyOf: () => 'one',
      handle: async (m) => void handled.push(m.seq),
      logger: pino({ level: 'silent' }),
      ackWaitMs: ACK_WAIT_MS,
    });
    await consumer.start();
    try {
      assert.equal(consumer.uncertain(), true, 'the previous holder may still give events back');
      assert.equal(consumer.floor(), 0);
      // It finishes them after all; the partition then stays quiet.
      for (const m of taken) await m.ackAck();
      await eventually(
        async () => consumer.floor() === 5,
        10_000,
        'the floor passes the acknowledged events',
      );
      assert.equal(consumer.uncertain(), false);
      assert.deepEqual(handled, [], 'none of them came to the new holder');

      await publish(2);
      await eventually(async () => consumer.floor() === 7, 10_000, 'the floor follows what it handles');
      assert.deepEqual(handled, [6, 7]);
    } finally {
      await consumer.stop();
    }
  });
});
