import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../support/app-process.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { redisServer, withFaultStack } from './own-servers.js';
import { report, startTraffic } from './traffic.js';
import { pace } from '../support/wait.js';

describe('faults: the stores under the apps', { concurrency: true }, () => {
  test('Redis restarted (a private redis-server, every key lost): presence may blink, messages must not', async () => {
    const redis = await redisServer();
    await redis.start();
    await withFaultStack({ REDIS_URL: redis.url }, [redis], async (stack) => {
      const t = await startTraffic(stack);
      await t.ledger.flowing(10);
      t.ledger.fault();
      await redis.kill('SIGKILL');
      await pace(1000); // how long it stays down (the fault itself)
      await redis.start();
      await t.ledger.flowing(20, 40_000);
      await t.ledger.stop();
      const verdict = await t.ledger.verify(40_000);
      report('Redis kill -9 and restart (1 s down, keys lost)', t.ledger.recoveryMs(), verdict);
    });
  });

  test('Cassandra cut off for 4 s (a TCP proxy the apps reach it through): the projection pauses and catches up', async () => {
    // The shared Cassandra is never stopped: the proxy drops every connection and refuses new ones.
    const proxy = await TcpProxy.start('127.0.0.1', 9042);
    await withFaultStack({ CASSANDRA_CONTACT_POINTS: proxy.address }, [proxy], async (stack) => {
      const projectors = stack.liveProjectors;
      const t = await startTraffic(stack);
      await t.ledger.flowing(10);
      t.ledger.fault();
      proxy.cut();
      await eventually(
        async () => (await projectors[0]!.get('/readyz')).status === 503,
        10_000,
        'a projector reports not ready',
      );
      await pace(4000); // how long Cassandra stays out of reach (the fault itself)
      proxy.restore();
      await t.ledger.flowing(20, 60_000);
      await t.ledger.stop();
      const verdict = await t.ledger.verify(60_000);
      report('Cassandra unreachable 4 s (proxy cut)', t.ledger.recoveryMs(), verdict);
      for (const p of [...stack.gateways, ...projectors]) {
        assert.equal(p.child.exitCode, null, `${p.instanceId} never exited`);
        assert.equal(p.child.signalCode, null, `${p.instanceId} never crashed`);
      }
    });
  });
});
