import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NatsClient, NatsRequestCounts, provisionStreams, streamTopology, userStreamName } from '#libs/nats';
import { MetricsService } from '#libs/platform';
import { createTestEnv } from '../../../test/support/test-env.js';
import { cleanupTestEnv } from '../../../test/support/cleanup.js';

const env = createTestEnv();

async function sample(metrics: MetricsService, labels: string): Promise<number> {
  const text = await metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`chat_nats_requests_total{${labels}} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('NATS request counters by caller and kind (real NATS)', () => {
  const metrics = new MetricsService();
  let client: NatsClient;

  before(async () => {
    client = await NatsClient.connect(env.nats, 'request-counts-test');
    await provisionStreams(client.jsm, streamTopology(client.topology), client.topology.replicas);
    const counter = metrics.counter('chat_nats_requests_total', 'requests', ['caller', 'kind']);
    new NatsRequestCounts((caller, kind) => counter.labels(caller, kind)).attach(client.nc);
  });
  after(async () => {
    await client?.close();
    await cleanupTestEnv(env);
  });

  test('JetStream publishes, direct gets and consumer info each move their own counter', async () => {
    const stream = userStreamName(client.topology);
    const subjects = (await client.jsm.streams.info(stream)).config.subjects;
    const subject = subjects[0]!.replace('*', 'count-test');
    for (let i = 0; i < 3; i++) await client.js.publish(subject, JSON.stringify({ i }));
    await client.jsm.direct.getMessage(stream, { last_by_subj: subject });
    await client.jsm.streams.getMessage(stream, { last_by_subj: subject });
    await client.jsm.streams.info(stream);
    await client.jsm.consumers.add(stream, { durable_name: 'count-test', filter_subject: subject });
    await client.jsm.consumers.info(stream, 'count-test');
    await client.jsm.consumers.info(stream, 'count-test');
    assert.equal(await sample(metrics, 'caller="user",kind="publish"'), 3);
    assert.equal(await sample(metrics, 'caller="users",kind="direct_get"'), 1);
    assert.equal(await sample(metrics, 'caller="users",kind="msg_get"'), 1);
    assert.ok((await sample(metrics, 'caller="users",kind="stream_info"')) >= 1);
    assert.equal(await sample(metrics, 'caller="users",kind="consumer_info"'), 2);
    assert.equal(await sample(metrics, 'caller="users",kind="consumer_create"'), 1);
  });
});
