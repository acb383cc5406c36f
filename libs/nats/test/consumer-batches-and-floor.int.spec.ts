import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsMsg } from '@nats-io/jetstream';
import { pino } from 'pino';
import {
  DurableConsumer,
  NatsClient,
  partitionStreamName,
  provisionStreams,
  streamTopology,
} from '#libs/nats';
import { createTestEnv } from '../../../test/support/test-env.js';
import { cleanupTestEnv } from '../../../test/support/cleanup.js';
import { eventually, quietPeriod } from '../../../test/support/wait.js';

const env = createTestEnv();
let client: NatsClient;

function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  return eventually(() => Promise.resolve(check()), ms, what);
}

/** Whether the consumer holds every event published to it (delivered to this process, none left). */
async function allDelivered(stream: string, durable: string, unacked?: number): Promise<boolean> {
  const info = await client.jsm.consumers.info(stream, durable);
  return info.num_pending === 0 && (unacked === undefined || info.num_ack_pending === unacked);
}

/**
 * Once the events are in this process, holding one back is a decision made within a tick or two: a
 * short quiet period after they arrived shows it was held, not just late.
 */
const HELD_QUIET_MS = 100;

describe('durable consumer: batches of one key, and the floor it computes in process (real nats-server)', () => {
  before(async () => {
    client = await NatsClient.connect(env.nats, 'consumer-batches-test');
    await provisionStreams(client.jsm, streamTopology(client.topology), 1);
  });
  after(async () => {
    await client.close();
    await cleanupTestEnv(env);
  });

  test('events queued behind a key are handed over together; the floor never passes an unfinished event', async () => {
    const subject = (key: string) => `${env.id}.chat.conv.0.${key}.msg`;
    const stream = partitionStreamName(client.topology, 0);
    const seqs: number[] = [];
    for (let i = 0; i < 6; i++) seqs.push((await client.js.publish(subject('slow'), `s${i}`)).seq);
    const fast = (await client.js.publish(subject('fast'), 'f')).seq;

    const batches: number[][] = [];
    const singles: number[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const consumer = new DurableConsumer(client.js, client.jsm, {
      stream,
      durable: 'batches-test',
      keyOf: (m: JsMsg) => m.subject,
      handle: async (m: JsMsg) => {
        singles.push(m.seq);
        if (m.seq === seqs[0]) await held; // the first event of the slow key holds its lane
      },
      handleBatch: async (ms: readonly JsMsg[]) => {
        batches.push(ms.map((m) => m.seq));
        await Promise.resolve();
      },
      logger: pino({ level: 'silent' }),
    });
    await consumer.start();
    try {
      await until(() => singles.includes(fast), 'the other key ran beside the held one');
      assert.equal(consumer.floor(), seqs[0]! - 1, 'the floor stays below the unfinished event');
      release();
      await until(() => consumer.floor() === fast, 'floor reaches the last event');
    } finally {
      await consumer.stop();
    }
    assert.deepEqual(batches, [seqs.slice(1)], 'the five queued events came as one batch, in order');
    assert.deepEqual(
      singles.sort((a, b) => a - b),
      [seqs[0], fast],
    );
    const info = await client.jsm.consumers.info(stream, 'batches-test');
    assert.equal(info.ack_floor.stream_seq, fast, 'a batch is acknowledged once handled');
  });

  test('a failing batch is handled again one event at a time, in order', async () => {
    const subject = `${env.id}.chat.conv.0.retry.msg`;
    const stream = partitionStreamName(client.topology, 0);
    const seqs: number[] = [];
    for (let i = 0; i < 4; i++) seqs.push((await client.js.publish(subject, `r${i}`)).seq);
    const singles: number[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let batchCalls = 0;
    const consumer = new DurableConsumer(client.js, client.jsm, {
      stream,
      durable: 'batch-fail-test',
      filterSubject: subject,
      keyOf: (m: JsMsg) => m.subject,
      handle: async (m: JsMsg) => {
        singles.push(m.seq);
        if (m.seq === seqs[0]) await held;
      },
      handleBatch: () => {
        batchCalls++;
        return Promise.reject(new Error('one of them cannot be folded'));
      },
      logger: pino({ level: 'silent' }),
    });
    await consumer.start();
    try {
      await until(() => singles.length === 1, 'the first event is being handled');
      // The others queue behind it: all four delivered, none acknowledged.
      await eventually(() => allDelivered(stream, 'batch-fail-test', 4), 10_000, 'the others delivered');
      release();
      await until(() => singles.length === 4, 'every event handled');
    } finally {
      await consumer.stop();
    }
    assert.equal(batchCalls, 1);
    assert.deepEqual(singles, seqs);
    const info = await client.jsm.consumers.info(stream, 'batch-fail-test');
    assert.equal(info.ack_floor.stream_seq, seqs.at(-1));
  });

  test('head starts run in order as events arrive, ahead of the handling; after one that is not ahead the next waits until its key caught up; a dependant waits only for head starts', async () => {
    const subject = `${env.id}.chat.conv.0.heads.msg`;
    const receipts = `${env.id}.chat.conv.0.heads.rcpt`;
    const stream = partitionStreamName(client.topology, 0);
    const seqs: number[] = [];
    const publish = async (subj: string, data: string): Promise<number> => {
      const seq = (await client.js.publish(subj, data)).seq;
      seqs.push(seq);
      return seq;
    };
    const log: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const handled = new Set<number>();
    const consumer = new DurableConsumer(client.js, client.jsm, {
      stream,
      durable: 'heads-test',
      filterSubject: `${env.id}.chat.conv.0.heads.*`,
      keyOf: (m: JsMsg) => m.subject,
      afterKeyOf: (m: JsMsg) => (m.subject === receipts ? subject : undefined),
      afterPrepared: () => true,
      prepare: async (m: JsMsg, caughtUp: boolean) => {
        const text = new TextDecoder().decode(m.data);
        log.push(
          `prepare ${text}${caughtUp ? ' caught up' : ''}${caughtUp ? ` (handled ${handled.size})` : ''}`,
        );
        return !text.startsWith('meta');
      },
      handle: async (m: JsMsg) => {
        const text = new TextDecoder().decode(m.data);
        if (text === 'm1') await held; // the first message's writes take their time
        log.push(`handle ${text}`);
        if (m.subject === subject) handled.add(m.seq); // the messages' key only
      },
      logger: pino({ level: 'silent' }),
    });
    await consumer.start();
    try {
      await publish(subject, 'm1');
      await until(() => log.includes('prepare m1 caught up (handled 0)'), 'the first head start');
      await publish(subject, 'm2');
      await publish(receipts, 'r2');
      await until(() => log.includes('handle r2'), 'the receipt ran after the head starts alone');
      assert.ok(!log.includes('handle m1'), 'while the first message is still being handled');
      assert.deepEqual(log.slice(0, 2), ['prepare m1 caught up (handled 0)', 'prepare m2']);
      await publish(subject, 'meta3');
      await publish(subject, 'm4');
      await publish(receipts, 'r4');
      await eventually(() => allDelivered(stream, 'heads-test'), 10_000, 'm4 and r4 delivered');
      await quietPeriod(HELD_QUIET_MS);
      assert.ok(
        !log.some((l) => l.startsWith('prepare m4')),
        'after a head start that is not ahead, the next waits',
      );
      assert.ok(!log.includes('handle r4'), 'and so does a receipt behind it');
      release();
      await until(() => log.includes('handle r4') && log.includes('handle m4'), 'everything handled');
    } finally {
      release();
      await consumer.stop();
    }
    assert.ok(
      log.includes('prepare m4 caught up (handled 3)'),
      `m4 started from the handled state: ${log.join('; ')}`,
    );
    assert.ok(log.indexOf('handle meta3') < log.indexOf('prepare m4 caught up (handled 3)'));
    assert.ok(log.indexOf('prepare m4 caught up (handled 3)') < log.indexOf('handle r4'));
  });
});
