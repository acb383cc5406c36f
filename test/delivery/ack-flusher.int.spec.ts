import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WebSocket } from 'ws';
import { pino } from 'pino';
import { createCassandraClient, migrate, type CqlClient } from '#libs/cassandra';
import type { ConversationCommand } from '#libs/domain';
import {
  ackedSubject,
  chatEventCodec,
  conversationSubject,
  projectionProgressSubject,
  type ChatEvent,
} from '#libs/events';
import {
  ConversationCommandHandler,
  EventStore,
  NatsClient,
  parseAckedNotice,
  partitionStreamName,
  provisionStreams,
  streamTopology,
  type AckedNotice,
} from '#libs/nats';
import { systemClock } from '#libs/platform';
import { InboxStore, type InboxEntry } from '#libs/read-models';
import { ProjectionFloor } from '../../apps/gateway/src/conversations/projection-floor.js';
import { LiveProgress } from '../../apps/gateway/src/ws/live-progress.js';
import { AckFlusher } from '../../apps/gateway/src/ws/ack-flusher.js';
import { DeviceConnection } from '../../apps/gateway/src/ws/device-connection.js';
import { eventually } from '../support/app-process.js';
import { cleanupTestEnv } from '../support/cleanup.js';
import { createTestEnv } from '../support/test-env.js';

/*
 * A gateway's acknowledgements of one flush become one MessageDelivered per conversation listing every
 * device, stored before anything else happens; then the partition hears which entries went
 * (AckedNotice) and the rows known written are deleted; those that a projector publishing its
 * progress may not have written yet are left to its reactor.
 */
const env = createTestEnv();
let nats: NatsClient;
let cql: CqlClient;
let store: EventStore<ChatEvent>;
let progress: LiveProgress;
let floor: ProjectionFloor;

const MEMBERS = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
const createGroup = (conversationId: string, systemMessageId: string): ConversationCommand => ({
  type: 'CreateGroup',
  conversationId,
  createdBy: 'alice',
  subject: 'g',
  memberUserIds: MEMBERS,
  systemMessageId,
  maxMembers: 1000,
});

describe('the ack flusher (real nats-server and Cassandra)', () => {
  before(async () => {
    await migrate(env.cassandra);
    cql = createCassandraClient(env.cassandra);
    nats = await NatsClient.connect(env.nats, 'ack-flusher-test');
    await provisionStreams(nats.jsm, streamTopology(nats.topology), 1);
    store = new EventStore(nats.js, nats.jsm, chatEventCodec);
    progress = new LiveProgress(nats, pino({ level: 'silent' }));
    progress.start();
    floor = new ProjectionFloor(nats, progress);
  });
  after(async () => {
    progress.onModuleDestroy();
    await nats.close();
    await cql.shutdown();
    await cleanupTestEnv(env);
  });

  test('12 devices acking two groups at once: one MessageDelivered per group, then notices and deletes', async () => {
    const conversations = new ConversationCommandHandler(nats, store);
    for (const [g, id] of [
      ['ga', '3000001'],
      ['gb', '3000002'],
    ] as const)
      assert.ok((await conversations.handle(g, createGroup(g, id), { now: new Date() })).ok);
    const inbox = new InboxStore(cql);
    const flusher = new AckFlusher(conversations, inbox, floor, nats, systemClock, pino({ level: 'silent' }));
    const notices: AckedNotice[] = [];
    const sub = nats.nc.subscribe(ackedSubject(nats.topology, 0), {
      callback: (_err, msg) => {
        const n = parseAckedNotice(msg.json());
        if (n) notices.push(n);
      },
    });
    await nats.nc.flush();

    const conns = MEMBERS.flatMap((u) =>
      ['phone', 'laptop'].map((d) => new DeviceConnection(u, d, {} as WebSocket, `${u}-${d}`)),
    );
    // Each device holds message 4000001 of ga (seq 10) and 4000002 of gb (seq 11), read from its inbox
    // by a sync, and a live entry of ga (seq 900000) above the projection floor.
    const rows: InboxEntry[] = conns.flatMap((c) =>
      [10, 11, 900_000].map((seq) => ({
        userId: c.userId,
        deviceId: c.deviceId,
        partition: 0,
        seq,
        kind: 'message' as const,
        conversationId: seq === 11 ? 'gb' : 'ga',
        payload: '{}',
      })),
    );
    await inbox.add(rows);
    const entry = (conversationId: string, messageId: string) =>
      ({ kind: 'message', conversationId, messageId, senderUserId: 'alice' }) as const;
    await Promise.all(
      conns.map((c) =>
        flusher.add(c, [
          { pos: { partition: 0, seq: 10 }, entry: entry('ga', '4000001'), stored: true },
          { pos: { partition: 0, seq: 11 }, entry: entry('gb', '4000002'), stored: true },
          { pos: { partition: 0, seq: 900_000 }, entry: entry('ga', '4000003'), stored: false },
        ]),
      ),
    );

    const stream = partitionStreamName(nats.topology, 0);
    for (const [g, messageIds] of [
      ['ga', ['4000001', '4000003']],
      ['gb', ['4000002']],
    ] as const) {
      const events = await store.read(stream, conversationSubject(nats.topology, g, 'rcpt'));
      assert.equal(events.length, 1, `one MessageDelivered for ${g}`);
      const e = events[0]!.event;
      assert.equal(e.type, 'MessageDelivered');
      if (e.type !== 'MessageDelivered') return;
      assert.equal(e.data.deliveries.length, conns.length, 'every device listed');
      for (const d of e.data.deliveries) assert.deepEqual([...d.messageIds].sort(), [...messageIds]);
    }
    await eventually(
      async () => notices.flatMap((n) => n.entries).length === conns.length * 3,
      10_000,
      'notices',
    );

    const left = async (): Promise<number[]> =>
      (
        await Promise.all(
          conns.map((c) =>
            inbox.findMany(
              c.userId,
              c.deviceId,
              [10, 11, 900_000].map((seq) => ({ partition: 0, seq })),
            ),
          ),
        )
      )
        .flat()
        .map((e) => e.seq);
    assert.deepEqual(
      await left(),
      [],
      'all gone: a projector that publishes no progress wrote each row before publishing it live',
    );

    // A projector that publishes its progress persists after delivering: an acknowledged entry above
    // its floor may not be written yet, and is left to the reactor (it read the notice); one at or
    // below the floor is deleted here.
    nats.nc.publish(
      projectionProgressSubject(nats.topology),
      JSON.stringify({ partition: 0, published: 1000, floor: 500 }),
    );
    assert.ok(await progress.untilFloor(0, 500, 10_000), 'the progress heard');
    assert.equal(await floor.of(0), 500, 'the floor heard, and no further');
    const [c] = conns;
    await inbox.add(
      [400, 900_001].map((seq) => ({
        userId: c!.userId,
        deviceId: c!.deviceId,
        partition: 0,
        seq,
        kind: 'message' as const,
        conversationId: 'ga',
        payload: '{}',
      })),
    );
    notices.length = 0;
    await flusher.add(c!, [
      { pos: { partition: 0, seq: 400 }, entry: entry('ga', '4000004'), stored: false },
      { pos: { partition: 0, seq: 900_001 }, entry: entry('ga', '4000005'), stored: false },
    ]);
    const mine = await inbox.findMany(c!.userId, c!.deviceId, [
      { partition: 0, seq: 400 },
      { partition: 0, seq: 900_001 },
    ]);
    assert.deepEqual(
      mine.map((e) => e.seq),
      [900_001],
      'below the floor deleted; above it left to the reactor',
    );
    await eventually(
      async () => notices.flatMap((n) => n.entries).some((e) => e.entryId === '0:900001'),
      10_000,
      'the reactor is told',
    );
    sub.unsubscribe();
    flusher.onModuleDestroy();
  });
});
