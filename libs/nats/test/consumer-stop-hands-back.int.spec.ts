import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsMsg } from '@nats-io/jetstream';
import { pino } from 'pino';
import { conversationSubject } from '#libs/events';
import {
  DurableConsumer,
  NatsClient,
  partitionStreamName,
  provisionStreams,
  streamTopology,
} from '#libs/nats';
import { DependencyUnavailableError } from '#libs/platform';
import { createTestEnv } from '../../../test/support/test-env.js';
import { cleanupTestEnv } from '../../../test/support/cleanup.js';
import { eventually } from '../../../test/support/wait.js';

const env = createTestEnv();
let client: NatsClient;

before(async () => {
  client = await NatsClient.connect(env.nats, 'consumer-stop-test');
  await provisionStreams(client.jsm, streamTopology(client.topology), 1);
});
after(async () => {
  await client.close();
  await cleanupTestEnv(env);
});

test('an event still failing when its consumer stops goes to the next consumer at once, not after ack_wait', async () => {
  const ackWaitMs = 30_000;
  const options = {
    stream: partitionStreamName(client.topology, 0),
    durable: 'stop-hands-back',
    ackWaitMs,
    keyOf: () => 'c1',
    logger: pino({ level: 'silent' }),
    backoffMs: 50,
  };
  const seq = (await client.js.publish(conversationSubject(client.topology, 'c1', 'msg'), 'm1')).seq;
  let attempts = 0;
  let failing!: () => void;
  const firstAttempt = new Promise<void>((r) => (failing = r));
  const first = new DurableConsumer(client.js, client.jsm, {
    ...options,
    // A fenced partition's writes fail like this while its lease is lost.
    handle: async () => {
      attempts++;
      failing();
      throw new DependencyUnavailableError('fenced');
    },
  });
  await first.start();
  await firstAttempt;
  await first.stop();
  assert.ok(attempts >= 1);

  const started = Date.now();
  let handled!: (m: JsMsg) => void;
  const got = new Promise<JsMsg>((r) => (handled = r));
  const next = new DurableConsumer(client.js, client.jsm, { ...options, handle: async (m) => handled(m) });
  await next.start();
  try {
    // Until the server's ack floor passes what the first consumer held, events may come out of order.
    assert.equal(next.uncertain(), true, 'the hand-over window is open');
    const m = await got;
    assert.equal(m.seq, seq);
    assert.ok(Date.now() - started < ackWaitMs / 3, `handed over in ${Date.now() - started} ms`);
    await eventually(async () => !next.uncertain(), 10_000, 'the window closed once it was acknowledged');
  } finally {
    await next.stop();
  }
});
