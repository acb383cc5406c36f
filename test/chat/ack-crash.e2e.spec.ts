import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCassandraClient } from '#libs/cassandra';
import { chatEventCodec, conversationSubject, type ChatEvent } from '#libs/events';
import { EventStore, NatsClient, partitionStreamName } from '#libs/nats';
import { eventually } from '../support/app-process.js';
import { ChatStack } from '../support/chat-stack.js';
import { signUpMany } from '../support/chat-users.js';
import { RawDevice } from '../support/raw-device.js';
import { inboxHolds } from '../support/rows.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { createTestEnv } from '../support/test-env.js';

/*
 * The gateway stores the receipt (MessageDelivered) before it deletes the acknowledged inbox rows. Killed
 * (-9) in between, nothing is lost: the entry comes again at the device's next sync (the client
 * de-duplicates it by message id), and the sender sees DELIVERED. The kill is made to land in between by
 * cutting this stack's own way to Cassandra (a proxy) before the ack: the append reaches JetStream, the
 * delete cannot happen.
 */
let stack: ChatStack;
let proxy: TcpProxy;
let nats: NatsClient;

describe('kill -9 of the gateway between the receipt append and the inbox delete', () => {
  before(async () => {
    const target = createTestEnv().cassandra.CASSANDRA_CONTACT_POINTS[0]!;
    const [host, port] = target.split(':');
    proxy = await TcpProxy.start(host!, Number(port ?? 9042));
    stack = await ChatStack.start({ overrides: { CASSANDRA_CONTACT_POINTS: proxy.address } });
    nats = await NatsClient.connect(stack.env.nats, 'ack-crash-test');
  });
  after(async () => {
    await nats.close();
    await stack.stop();
    await proxy.stop();
  });

  test('loses nothing: the entry comes again at sync, once, and the sender sees DELIVERED', async () => {
    const [ann, bob] = await signUpMany(stack, 2);
    await ann!.connect();
    const { conversationId } = await ann!.chat.openDirect(bob!.userId);
    const first = await RawDevice.connect(stack.wsUrls[0]!, bob!.tokens.accessToken, { ack: false });
    const m = await ann!.chat.send(conversationId, 'acknowledged, then the gateway dies');
    await first.waitFor(m.messageId);
    // Bob has it live (deliver-first); the ack below must find the projector's inbox row written.
    const cql = createCassandraClient(stack.env.cassandra);
    try {
      const entry = first.entryIds.get(m.messageId)!;
      await eventually(() => inboxHolds(cql, bob!.userId, bob!.deviceId, entry), 20_000, "bob's inbox row");
    } finally {
      await cql.shutdown();
    }
    await ann!.disconnect(); // back after the restart (its receipts wait in its inbox meanwhile)

    proxy.cut();
    const answer = first
      .request('ack', { entries: [first.entryIds.get(m.messageId)] }, 60_000)
      .catch((err: unknown) => err);
    const store = new EventStore<ChatEvent>(nats.js, nats.jsm, chatEventCodec);
    const stream = partitionStreamName(nats.topology, 0);
    const rcpt = conversationSubject(nats.topology, conversationId, 'rcpt');
    await eventually(
      async () => (await store.read(stream, rcpt)).some((e) => e.event.type === 'MessageDelivered'),
      20_000,
      'the receipt stored',
    );
    await stack.gateways[0]!.stop('SIGKILL');
    first.close();
    void answer;
    proxy.restore();

    await stack.startGateway();
    await ann!.connect(); // to the new gateway
    const again = await RawDevice.connect(stack.wsUrls[0]!, bob!.tokens.accessToken, { ack: true });
    await again.waitFor(m.messageId, 30_000);
    assert.equal(again.counts.get(m.messageId), 1, 'once on this connection');
    await eventually(
      async () => ann!.receipts.some((r) => r.status === 'delivered' && r.messageIds?.includes(m.messageId)),
      30_000,
      'ann sees DELIVERED',
    );
    // Acknowledged this time: a later sync has nothing more for Bob.
    await eventually(
      async () => {
        // The sync's answer counts what it sent: zero entries is the whole answer, no waiting for frames.
        const later = await RawDevice.connect(stack.wsUrls[0]!, bob!.tokens.accessToken, { ack: false });
        const left = later.syncResult?.count;
        later.close();
        return left === 0;
      },
      30_000,
      'nothing pending after the second ack',
    );
    again.close();
    await ann!.disconnect();
  });
});
