import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Subscription } from '@nats-io/transport-node';
import { createCassandraClient, type CqlClient } from '#libs/cassandra';
import { ackedSubject, liveInterruptedSubject, liveWildcard, partitionOf } from '#libs/events';
import {
  NatsClient,
  parseLiveFrame,
  partitionLeaseKey,
  type AckedNotice,
  type LiveEntryFrame,
} from '#libs/nats';
import { eventually } from '../support/app-process.js';
import { ChatStack, SCALED_OUT } from '../support/chat-stack.js';
import { signUp, type TestDevice } from '../support/chat-users.js';

/**
 * Deliver first, persist after: the projector publishes an event's live frame before it writes any row
 * of it. PROJECTOR_TEST_PERSIST_DELAY_MS holds every event between the two for a while, so these tests
 * can act inside that window: kill the projector, or connect a device.
 */
const PERSIST_DELAY_MS = 6000;

let stack: ChatStack;
let cql: CqlClient;
let nats: NatsClient;
let liveSub: Subscription;
const frames: LiveEntryFrame[] = [];

/** The live frames seen so far that carry this message. */
const framesOf = (messageId: string): LiveEntryFrame[] =>
  frames.filter((f) => f.entry.kind === 'message' && f.entry.data.messageId === messageId);

async function timelineSeqs(conversationId: string): Promise<number[]> {
  const rs = await cql.execute(
    'SELECT seq FROM messages_by_conversation WHERE conversation_id = ? AND bucket = 0',
    [conversationId],
  );
  return rs.rows.map((r) => Number(r.get('seq'))).sort((a, b) => a - b);
}

/** The stream partition a conversation lives in, on a stack with its partitions. */
const partitionIn = (s: ChatStack, conversationId: string): number =>
  partitionOf(conversationId, s.env.nats.CHAT_STREAM_PARTITIONS);

async function inboxRows(d: TestDevice, conversationId: string): Promise<number> {
  const rs = await cql.execute(
    'SELECT stream_seq FROM inbox_by_device WHERE user_id = ? AND device_id = ? AND partition = ?',
    [d.userId, d.deviceId, partitionIn(stack, conversationId)],
  );
  return rs.rows.length;
}

/** Sends a message and resolves once its live frame went out (it is not persisted for PERSIST_DELAY_MS). */
async function sendAndAwaitFrame(from: TestDevice, conversationId: string, text: string): Promise<string> {
  const { messageId } = await from.chat.send(conversationId, text);
  await eventually(async () => framesOf(messageId).length > 0, 20_000, `live frame of ${text}`);
  return messageId;
}

describe('deliver first, persist after (projector holds each event 6 s between publish and persistence)', () => {
  before(async () => {
    stack = await ChatStack.start({
      ...SCALED_OUT,
      overrides: { PROJECTOR_TEST_PERSIST_DELAY_MS: String(PERSIST_DELAY_MS) },
    });
    cql = createCassandraClient(stack.env.cassandra);
    nats = await NatsClient.connect(stack.env.nats, 'deliver-first-test');
    liveSub = nats.nc.subscribe(liveWildcard(nats.topology), {
      callback: (err, msg) => {
        if (err) return;
        const f = parseLiveFrame(msg.json());
        if (f?.kind === 'entry') frames.push(f);
      },
    });
  });
  after(async () => {
    liveSub.unsubscribe();
    await nats.close();
    await cql.shutdown();
    await stack.stop();
  });

  test('kill -9 of the partition-owning projector between live publish and persistence: nothing lost, nothing duplicated, same seq and entry id', async () => {
    const alice = await signUp(stack);
    const bob = await signUp(stack);
    await Promise.all([alice.connect(), bob.connect()]);
    const { conversationId } = await alice.chat.openDirect(bob.userId);

    const first = await sendAndAwaitFrame(alice, conversationId, 'before the kill');
    await bob.waitForMessages(conversationId, 1);
    assert.deepEqual(await timelineSeqs(conversationId), [], 'delivered live, not persisted yet');
    const owner = await stack.projectorHolding(partitionLeaseKey(partitionIn(stack, conversationId)));
    await owner.stop('SIGKILL');

    // The other projector takes the partition once the dead one's lease expired.
    const second = (await alice.chat.send(conversationId, 'while the partition has no owner')).messageId;
    await stack.startProjector();

    const got = await bob.waitForMessages(conversationId, 2, 60_000);
    assert.deepEqual(
      got.map((m) => [m.messageId, m.seq]),
      [
        [first, 1],
        [second, 2],
      ],
    );
    await eventually(async () => (await timelineSeqs(conversationId)).length === 2, 60_000, 'both persisted');
    assert.deepEqual(await timelineSeqs(conversationId), [1, 2]);
    // Published again after the restart: the very same entry (position) and seq.
    const again = framesOf(first);
    assert.ok(again.length >= 2, 'the first message was published again after the restart');
    assert.deepEqual(new Set(again.map((f) => `${f.entryId}/${f.entry.data.conversationId}`)).size, 1);
    assert.deepEqual(
      new Set(again.map((f) => (f.entry.kind === 'message' ? f.entry.data.seq : -1))),
      new Set([1]),
    );

    // A reconnect's sync may bring again what was acknowledged before its row was written (a device
    // acknowledged live within the persistence delay); after de-duplication by message id, nothing twice.
    await bob.disconnect();
    await bob.connect(); // resolves at the answer to its sync, after the frames the sync sent
    await bob.waitForMessages(conversationId, 2);
    const distinct = [...new Map(bob.of(conversationId).map((m) => [m.messageId, m.seq])).values()];
    assert.deepEqual(distinct, [1, 2]);
    await Promise.all([alice.disconnect(), bob.disconnect()]);
  });

  test('a device that connects after the frame went out and before the row is written gets the message', async () => {
    const alice = await signUp(stack);
    const bob = await signUp(stack);
    await alice.connect();
    const { conversationId } = await alice.chat.openDirect(bob.userId);
    const messageId = await sendAndAwaitFrame(alice, conversationId, 'published while bob was away');
    assert.deepEqual(await timelineSeqs(conversationId), [], 'bob connects before the message is persisted');
    assert.equal(await inboxRows(bob, conversationId), 0);
    await bob.connect({ autoAck: false });
    const got = await bob.waitForMessages(conversationId, 1, 30_000);
    assert.equal(got[0]!.messageId, messageId);
    await Promise.all([alice.disconnect(), bob.disconnect()]);
  });

  test('an entry acknowledged before its wave is written gets no inbox row', async () => {
    const alice = await signUp(stack);
    const bob = await signUp(stack);
    await Promise.all([alice.connect(), bob.connect({ autoAck: false })]);
    const { conversationId } = await alice.chat.openDirect(bob.userId);
    const messageId = await sendAndAwaitFrame(alice, conversationId, 'acknowledged at once');
    const entryId = framesOf(messageId)[0]!.entryId;
    // What a gateway tells the reactor once the device's MessageDelivered is stored.
    const notice: AckedNotice = { entries: [{ userId: bob.userId, deviceId: bob.deviceId, entryId }] };
    nats.nc.publish(ackedSubject(nats.topology, partitionIn(stack, conversationId)), JSON.stringify(notice));
    await eventually(async () => (await timelineSeqs(conversationId)).length === 1, 30_000, 'persisted');
    assert.equal(await inboxRows(bob, conversationId), 0, 'no row for the device that acknowledged');
    await Promise.all([alice.disconnect(), bob.disconnect()]);
  });

  test('the messages of a busy conversation go out as they come, and their ticks come back, not one wave after another', async () => {
    const alice = await signUp(stack);
    const bob = await signUp(stack);
    await Promise.all([alice.connect(), bob.connect()]);
    const { conversationId } = await alice.chat.openDirect(bob.userId);
    const started = Date.now();
    const ids: string[] = [];
    for (let i = 1; i <= 3; i++) ids.push((await alice.chat.send(conversationId, `busy ${i}`)).messageId);
    const got = await bob.waitForMessages(conversationId, 3, 20_000);
    // Each wave is held PERSIST_DELAY_MS: one after another, the third would come after two of them.
    assert.ok(Date.now() - started < PERSIST_DELAY_MS, 'all three live within one persistence delay');
    // Bob's receipts need the messages published, not written: the ticks come back in that window too.
    const ticked = (): Set<string> =>
      new Set(alice.receipts.filter((r) => r.status === 'delivered').flatMap((r) => r.messageIds ?? []));
    await eventually(async () => ids.every((id) => ticked().has(id)), 20_000, 'delivered ticks');
    assert.ok(Date.now() - started < PERSIST_DELAY_MS, 'the ticks came before the first wave was written');
    assert.deepEqual(await timelineSeqs(conversationId), [], 'none of them persisted yet');
    assert.deepEqual(
      got.map((m) => [m.messageId, m.seq]),
      ids.map((id, i) => [id, i + 1]),
    );
    await eventually(async () => (await timelineSeqs(conversationId)).length === 3, 60_000, 'all persisted');
    assert.deepEqual(await timelineSeqs(conversationId), [1, 2, 3]);
    await Promise.all([alice.disconnect(), bob.disconnect()]);
  });

  test('the same on a gateway that started after the frame went out', async () => {
    const alice = await signUp(stack);
    const bob = await signUp(stack);
    await alice.connect();
    const { conversationId } = await alice.chat.openDirect(bob.userId);
    // A gateway takes seconds to start on a loaded machine: a wider window between publish and persistence.
    const before = stack.liveProjectors;
    await Promise.all(before.map((p) => p.stop('SIGTERM')));
    await Promise.all(before.map(() => stack.startProjector({ PROJECTOR_TEST_PERSIST_DELAY_MS: '30000' })));
    await stack.leasesSettled();
    const messageId = await sendAndAwaitFrame(alice, conversationId, 'published before the gateway started');
    const fresh = await stack.startGateway();
    assert.deepEqual(await timelineSeqs(conversationId), [], 'bob connects before the message is persisted');
    assert.equal(await inboxRows(bob, conversationId), 0);
    await bob.connect({ gateway: stack.liveGateways.indexOf(fresh), autoAck: false });
    const got = await bob.waitForMessages(conversationId, 1, 60_000);
    assert.equal(got[0]!.messageId, messageId);
    await Promise.all([alice.disconnect(), bob.disconnect()]);
  });
});

describe('inbox rows and acknowledgements (no persistence delay)', () => {
  let plain: ChatStack;
  before(async () => {
    plain = await ChatStack.start(SCALED_OUT);
  });
  after(() => plain.stop());

  test("a projector's interrupted live feed makes the gateways close their sockets, and devices sync", async () => {
    const alice = await signUp(plain);
    const bob = await signUp(plain);
    await Promise.all([alice.connect(), bob.connect()]);
    const { conversationId } = await alice.chat.openDirect(bob.userId);
    let closedWith: string | undefined;
    bob.chat.once('disconnected', (d) => (closedWith = d.reason));
    // What a projector publishes when its NATS connection comes back (LiveDeliveryBus.announceInterruptions).
    const client = await NatsClient.connect(plain.env.nats, 'interrupted-test');
    try {
      client.nc.publish(liveInterruptedSubject(client.topology), JSON.stringify({ kind: 'interrupted' }));
      await eventually(async () => closedWith !== undefined, 10_000, "bob's socket closed");
      assert.equal(closedWith, 'LIVE_FEED_INTERRUPTED');
    } finally {
      await client.close();
    }
    await alice.chat.send(conversationId, 'after the interruption');
    const got = await bob.waitForMessages(conversationId, 1, 30_000);
    assert.equal(got[0]!.text, 'after the interruption');
    await Promise.all([alice.disconnect(), bob.disconnect()]);
  });

  test('a device that never acknowledges gets every message by sync after reconnect, in order, once', async () => {
    const alice = await signUp(plain);
    const bob = await signUp(plain);
    await Promise.all([alice.connect(), bob.connect({ autoAck: false })]);
    const { conversationId } = await alice.chat.openDirect(bob.userId);
    const total = 30;
    for (let i = 0; i < total; i++) await alice.chat.send(conversationId, `n${i}`);
    await bob.waitForMessages(conversationId, total, 30_000);
    await bob.disconnect();
    bob.clearMessages();
    await bob.connect();
    const got = await bob.waitForMessages(conversationId, total, 30_000);
    assert.deepEqual(
      got.map((m) => m.seq),
      Array.from({ length: total }, (_, i) => i + 1),
    );
    await Promise.all([alice.disconnect(), bob.disconnect()]);
  });
  test('a row written before the acknowledgement came is deleted when it comes', async () => {
    const nc = await NatsClient.connect(plain.env.nats, 'deliver-first-acks');
    try {
      const alice = await signUp(plain);
      const bob = await signUp(plain);
      await Promise.all([alice.connect(), bob.connect({ autoAck: false })]);
      const { conversationId } = await alice.chat.openDirect(bob.userId);
      await alice.chat.send(conversationId, 'kept until acknowledged');
      await bob.waitForMessages(conversationId, 1);
      const cqlPlain = createCassandraClient(plain.env.cassandra);
      const partition = partitionIn(plain, conversationId);
      try {
        const rows = async (): Promise<number[]> =>
          (
            await cqlPlain.execute(
              'SELECT stream_seq FROM inbox_by_device WHERE user_id = ? AND device_id = ? AND partition = ?',
              [bob.userId, bob.deviceId, partition],
            )
          ).rows.map((r) => Number(r.get('stream_seq')));
        await eventually(async () => (await rows()).length === 1, 20_000, 'the row is written');
        const [seq] = await rows();
        const notice: AckedNotice = {
          entries: [{ userId: bob.userId, deviceId: bob.deviceId, entryId: `${partition}:${seq}` }],
        };
        nc.nc.publish(ackedSubject(nc.topology, partition), JSON.stringify(notice));
        await eventually(async () => (await rows()).length === 0, 20_000, 'the reactor deletes the row');
      } finally {
        await cqlPlain.shutdown();
      }
      await Promise.all([alice.disconnect(), bob.disconnect()]);
    } finally {
      await nc.close();
    }
  });
});
