import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { headers } from '@nats-io/transport-node';
import { createCassandraClient, migrate, type CqlClient } from '#libs/cassandra';
import {
  chatEventCodec,
  EVENT_HEADERS,
  PersonalDataVault,
  type ChatEvent,
  type MessageSent,
} from '#libs/events';
import { NatsClient, partitionStreamName, provisionStreams, streamTopology } from '#libs/nats';
import { CassandraPersonalKeyStore } from '#libs/read-models';
import { cleanupTestEnv } from '../support/cleanup.js';
import { messageSent } from '../support/event-fixtures.js';
import { createTestEnv } from '../support/test-env.js';

/*
 * The real catalogue's MessageSent as it evolved: v1 (before personal fields were sealed) held the text
 * in plain; v2 seals it with the sender's key. A conversation written before and after the change is
 * one stream holding both, and every reader opens both to the current shape through the vault.
 */
const env = createTestEnv();
let client: NatsClient;
let cql: CqlClient;

describe('a conversation stream holding MessageSent v1 (plain) and v2 (sealed)', () => {
  before(async () => {
    client = await NatsClient.connect(env.nats, 'message-versions-test');
    await provisionStreams(client.jsm, streamTopology(client.topology), 1);
    await migrate(env.cassandra);
    cql = createCassandraClient(env.cassandra);
  });
  after(async () => {
    await cql.shutdown();
    await client.close();
    await cleanupTestEnv(env);
  });

  test('replays both in the v2 shape; only the v1 bytes hold the text', async () => {
    const vault = new PersonalDataVault<ChatEvent>(chatEventCodec, new CassandraPersonalKeyStore(cql));
    const subject = `${env.id}.chat.conv.0.c1.msg`;
    const publish = async (e: MessageSent, bytes: Uint8Array): Promise<void> => {
      const h = headers();
      h.set(EVENT_HEADERS.type, e.type);
      h.set(EVENT_HEADERS.version, String(e.version));
      await client.js.publish(subject, bytes, { headers: h, msgID: e.id });
    };
    const before = messageSent('c1', 'alice', 'written before sealing');
    const v1 = { ...before, version: 1 };
    await publish(v1 as MessageSent, new TextEncoder().encode(JSON.stringify(v1)));
    const after = messageSent('c1', 'alice', 'written after sealing');
    await publish(after, await vault.encode(after));

    const stream = partitionStreamName(client.topology, 0);
    const stored = await Promise.all([1, 2].map((seq) => client.jsm.streams.getMessage(stream, { seq })));
    assert.deepEqual(
      stored.map((m) => m?.header.get(EVENT_HEADERS.version)),
      ['1', '2'],
      'the log keeps what was written',
    );
    assert.ok(stored[0]!.string().includes('written before sealing'));
    assert.ok(!stored[1]!.string().includes('written after sealing'), 'v2 text is sealed in the log');

    const replayed = await Promise.all(stored.map((m) => vault.decode(m!.data) as Promise<MessageSent>));
    assert.deepEqual(
      replayed.map((e) => [e.version, e.data.content]),
      [
        [2, { type: 'text', text: 'written before sealing' }],
        [2, { type: 'text', text: 'written after sealing' }],
      ],
    );
  });
});
