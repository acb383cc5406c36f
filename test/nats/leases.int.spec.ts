import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { LeaseBucket, leaseBucketName } from '#libs/nats';
import { eventually } from '../support/app-process.js';
import { pace } from '../support/wait.js';
import { natsServer } from '../faults/own-servers.js';

/** The lease bucket's compare-and-set semantics against the real server (the projectors rely on them). */
const TTL_MS = 1000;
const space = { namespace: `t${randomBytes(4).toString('hex')}` };
let nc: NatsConnection;
let a: LeaseBucket;
let b: LeaseBucket;

describe('partition leases in a NATS KV bucket', () => {
  before(async () => {
    nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
    a = await LeaseBucket.open(nc, space, { ttlMs: TTL_MS, replicas: 1, instance: 'a' });
    // A second projector given another TTL follows the bucket's.
    b = await LeaseBucket.open(nc, space, { ttlMs: 9000, replicas: 1, instance: 'b' });
  });
  after(async () => {
    await (await jetstreamManager(nc)).streams.delete(`KV_${leaseBucketName(space)}`);
    await nc.close();
  });

  test("one holder at a time; a release hands over at once; the TTL is the bucket's", async () => {
    assert.equal(b.ttlMs, TTL_MS);
    const rev = await a.acquire('p0');
    assert.ok(rev !== undefined, 'a takes the free lease');
    assert.equal(await b.acquire('p0'), undefined, 'b cannot while a holds it');
    assert.equal(await b.holder('p0'), 'a');
    const renewed = await a.renew('p0', rev);
    assert.ok(renewed !== undefined && renewed > rev, 'the holder renews');
    assert.equal(await a.renew('p0', rev), undefined, 'a renewal on a stale revision is refused');
    await a.release('p0', renewed);
    assert.ok((await b.acquire('p0')) !== undefined, 'b takes it once released');
    assert.equal(await b.holder('p0'), 'b');
  });

  test('a lease nobody renews expires; its old holder can no longer renew it', async () => {
    const rev = (await a.acquire('p1'))!;
    assert.equal(await b.acquire('p1'), undefined);
    const started = Date.now();
    let taken: number | undefined;
    await eventually(async () => (taken = await b.acquire('p1')) !== undefined, 10_000, 'the lease expired');
    assert.ok(Date.now() - started >= TTL_MS * 0.5, 'not before its time to live');
    assert.ok(taken !== undefined);
    assert.equal(await a.renew('p1', rev), undefined, 'the old holder has lost it');
  });

  test('members: a heartbeat says alive, leave() says gone', async () => {
    await Promise.all([a.heartbeat(), b.heartbeat()]);
    assert.deepEqual((await a.members()).sort(), ['a', 'b']);
    await b.leave();
    assert.deepEqual(await a.members(), ['a']);
  });

  test('members: one that stops beating is gone after the TTL, and every listing answers meanwhile', async () => {
    // Listings race the entries' expiry and the others' renewals (the KV watcher hung on that race).
    await Promise.all([a.heartbeat(), b.heartbeat()]);
    const deadline = Date.now() + TTL_MS * 3;
    let last: string[] = [];
    while (Date.now() < deadline && last.join() !== 'a') {
      await a.heartbeat();
      last = (
        await Promise.race([
          a.members(),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('members() hung')), 2000)),
        ])
      ).sort();
      assert.ok(last.includes('a'), 'the beating member is always listed');
    }
    assert.deepEqual(last, ['a'], 'b, silent, expired');
  });

  test('opening the bucket outlasts a server that answers late (a cluster still electing its leaders)', async () => {
    // A projector of a fault run exited at start: its bucket's requests (TTL / 4) timed out in a new cluster.
    const own = await natsServer();
    await own.start();
    const late = await connect({ servers: own.url });
    try {
      own.pause();
      const opening = LeaseBucket.open(late, space, { ttlMs: TTL_MS, replicas: 1, instance: 'late' });
      await pace(2000); // how long the server does not answer (the fault itself): several request timeouts
      own.resume();
      const bucket = await opening;
      assert.equal(bucket.ttlMs, TTL_MS);
      assert.ok((await bucket.acquire('p9')) !== undefined, 'the opened bucket works');
    } finally {
      await late.close();
      await own.stop();
    }
  });
});
