import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises'; // timer under test: handlers' durations
import type { JsMsg } from '@nats-io/jetstream';
import { pino } from 'pino';
import { conversationSubject, parseConversationSubject } from '#libs/events';
import {
  DurableConsumer,
  NatsClient,
  partitionStreamName,
  provisionStreams,
  streamTopology,
} from '#libs/nats';
import { createTestEnv } from '../../../test/support/test-env.js';
import { cleanupTestEnv } from '../../../test/support/cleanup.js';
import { eventually } from '../../../test/support/wait.js';

const env = createTestEnv();
let client: NatsClient;

describe('consumer lanes: keyOf runs lanes in parallel, afterKeyOf orders one lane after another (real nats-server)', () => {
  before(async () => {
    client = await NatsClient.connect(env.nats, 'consumer-lanes-test');
    await provisionStreams(client.jsm, streamTopology(client.topology), 1);
  });
  after(async () => {
    await client.close();
    await cleanupTestEnv(env);
  });

  test('receipts in lanes of their own start only after the messages before them, and overlap each other', async () => {
    const subject = (kind: 'msg' | 'rcpt') => conversationSubject(client.topology, 'c1', kind);
    const first = await client.js.publish(subject('msg'), 'm1');
    const receipts = [];
    for (let i = 0; i < 4; i++) receipts.push((await client.js.publish(subject('rcpt'), `r${i}`)).seq);
    const last = await client.js.publish(subject('msg'), 'm2');

    const started = new Map<number, number>();
    const finished = new Map<number, number>();
    let running = 0;
    let mostAtOnce = 0;
    const consumer = new DurableConsumer(client.js, client.jsm, {
      stream: partitionStreamName(client.topology, 0),
      durable: 'lanes-test',
      keyOf: (m: JsMsg) => {
        const where = parseConversationSubject(client.topology, m.subject)!;
        return where.kind === 'rcpt' ? `c1.rcpt.${m.seq}` : 'c1';
      },
      afterKeyOf: (m: JsMsg) =>
        parseConversationSubject(client.topology, m.subject)?.kind === 'rcpt' ? 'c1' : undefined,
      handle: async (m: JsMsg) => {
        started.set(m.seq, performance.now());
        running++;
        mostAtOnce = Math.max(mostAtOnce, running);
        // The first message is slow: receipts dispatched meanwhile must wait for it.
        await sleep(m.seq === first.seq ? 300 : 100); // timer under test: how long each handler takes
        running--;
        finished.set(m.seq, performance.now());
      },
      logger: pino({ level: 'silent' }),
    });
    await consumer.start();
    try {
      await eventually(async () => finished.size >= 6, 10_000, 'every event handled');
    } finally {
      await consumer.stop();
    }
    assert.equal(finished.size, 6, 'every event handled');
    for (const seq of receipts)
      assert.ok(
        started.get(seq)! >= finished.get(first.seq)!,
        `receipt ${seq} waited for the message before it`,
      );
    assert.ok(mostAtOnce >= 4, `receipts ran side by side (at most ${mostAtOnce} at once)`);
    // The later message is in the message lane only: it follows m1, not the receipts.
    assert.ok(started.get(last.seq)! >= finished.get(first.seq)!);
    assert.ok(
      started.get(last.seq)! < Math.max(...receipts.map((s) => finished.get(s)!)),
      'the next message did not queue behind the receipts',
    );
  });
});
