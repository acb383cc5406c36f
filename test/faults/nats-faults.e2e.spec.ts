import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { partitionStreamName } from '#libs/nats';
import { partitionOf } from '#libs/events';
import { eventually } from '../support/app-process.js';
import { freePort, natsServer, withFaultStack } from './own-servers.js';
import { report, startTraffic } from './traffic.js';
import { pace } from '../support/wait.js';

/** Every case runs its own nats-server(s): the machine's shared one is never touched. */
describe('faults: the NATS server under the apps (own servers)', { concurrency: true }, () => {
  test('nats-server killed and restarted on its store: clients see errors or slowness, never loss', async () => {
    const nats = await natsServer();
    await nats.start();
    await withFaultStack({ NATS_URL: nats.url }, [nats], async (stack) => {
      const t = await startTraffic(stack);
      await t.ledger.flowing(10);
      t.ledger.fault();
      await nats.kill('SIGKILL');
      await pace(1000); // how long it stays down (the fault itself)
      await nats.start();
      // Sends wait for the devices' sync after the gateways closed their sockets, and the sync for the
      // projection floor, which waits for ack_wait on what was in flight: slow on a loaded machine.
      await t.ledger.flowing(20, 90_000);
      await t.ledger.stop();
      const verdict = await t.ledger.verify(60_000);
      report('nats-server kill -9 and restart (1 s down)', t.ledger.recoveryMs(), verdict);
    });
  });

  test("nats-server paused (SIGSTOP) for 3 s, then resumed: the apps' connections stall, nothing is lost", async () => {
    const nats = await natsServer();
    await nats.start();
    await withFaultStack({ NATS_URL: nats.url }, [nats], async (stack) => {
      const t = await startTraffic(stack);
      await t.ledger.flowing(10);
      t.ledger.fault();
      nats.pause();
      await pace(3000); // how long it stays paused (the fault itself)
      nats.resume();
      await t.ledger.flowing(20, 40_000);
      await t.ledger.stop();
      const verdict = await t.ledger.verify(40_000);
      report('nats-server SIGSTOP 3 s', t.ledger.recoveryMs(), verdict);
    });
  });

  test('3-node JetStream cluster, streams with 3 replicas: the stream leader killed and brought back', async () => {
    const clientPorts = await Promise.all([freePort(), freePort(), freePort()]);
    const clusterPorts = await Promise.all([freePort(), freePort(), freePort()]);
    const nodes = await Promise.all(
      clientPorts.map((port, i) =>
        natsServer({
          name: `fault-c${i}-${port}`,
          port,
          cluster: { port: clusterPorts[i]!, routes: clusterPorts.filter((_, j) => j !== i) },
        }),
      ),
    );
    await Promise.all(nodes.map((n) => n.start(30_000)));
    const urls = nodes.map((n) => n.url).join(',');
    // JetStream needs its meta leader before the apps can provision streams.
    await eventually(
      async () => {
        const nc = await connect({ servers: urls.split(','), reconnect: false });
        try {
          return (await (await jetstreamManager(nc)).getAccountInfo()).streams >= 0;
        } finally {
          await nc.close();
        }
      },
      30_000,
      'the cluster has a JetStream meta leader',
    );
    await withFaultStack({ NATS_URL: urls, NATS_STREAM_REPLICAS: '3' }, nodes, async (stack) => {
      const t = await startTraffic(stack);
      const stream = partitionStreamName(
        { namespace: stack.env.nats.NATS_NAMESPACE },
        partitionOf(t.direct.conversationId, stack.env.nats.CHAT_STREAM_PARTITIONS),
      );
      const nc = await connect({ servers: urls.split(',') });
      const jsm = await jetstreamManager(nc);
      try {
        const info = await jsm.streams.info(stream);
        assert.equal(info.config.num_replicas, 3, 'the stream has 3 replicas');
        const leader = nodes.find((n) => n.serverName === info.cluster?.leader);
        assert.ok(leader, `the leader ${info.cluster?.leader} is one of ours`);
        await t.ledger.flowing(10);
        t.ledger.fault();
        await leader.kill('SIGKILL');
        await t.ledger.flowing(20, 40_000);
        await leader.start(30_000); // back, it catches up from the new leader
        await t.ledger.flowing(10, 40_000);
        await t.ledger.stop();
        const verdict = await t.ledger.verify(40_000);
        report('JetStream R3 stream leader kill -9, then back', t.ledger.recoveryMs(), verdict);
        await eventually(
          async () => {
            const now = await jsm.streams.info(stream);
            return (
              (now.cluster?.replicas ?? []).length === 2 && now.cluster!.replicas!.every((r) => r.current)
            );
          },
          30_000,
          'the old leader back as a current replica',
        );
      } finally {
        await nc.close();
      }
    });
  });
});
