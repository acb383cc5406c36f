import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { migrate } from '#libs/cassandra';
import { chatEventCodec, type ChatEvent } from '#libs/events';
import {
  DURABLES,
  ensureDurable,
  EventStore,
  NatsClient,
  partitionStreamName,
  provisionStreams,
  streamTopology,
  userStreamName,
  type SystemStatus,
} from '#libs/nats';
import { AppProcess, eventually } from '../../../test/support/app-process.js';
import { chatctl } from '../../../test/support/chatctl.js';
import { cleanupTestEnv } from '../../../test/support/cleanup.js';
import {
  conversationCreated,
  messageSent,
  subjectFor,
  userRegistered,
} from '../../../test/support/event-fixtures.js';
import { createTestEnv } from '../../../test/support/test-env.js';
import { outlast } from '../../../test/support/wait.js';

const env = createTestEnv();
let client: NatsClient;
let projector: AppProcess | undefined;

async function status(): Promise<SystemStatus> {
  const r = await chatctl(env, ['status', '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as SystemStatus;
}

describe('chatctl status (compiled CLI against real NATS and a real projector)', () => {
  before(async () => {
    client = await NatsClient.connect(env.nats, 'chatctl-status-test');
    await provisionStreams(client.jsm, streamTopology(client.topology), 1);
    await migrate(env.cassandra);
    const store = new EventStore<ChatEvent>(client.js, client.jsm, chatEventCodec);
    const events: ChatEvent[] = [
      userRegistered('alice', '+14155550110'),
      userRegistered('bob', '+14155550111'),
      conversationCreated('c1', ['alice', 'bob']),
      messageSent('c1', 'alice', 'one'),
      messageSent('c1', 'bob', 'two'),
    ];
    for (const e of events) await store.append(subjectFor(client.topology, e), e);
    // The projector's durables exist (as after a deploy) but nothing consumed yet: the lag is all of it.
    await ensureDurable(client.jsm, {
      stream: partitionStreamName(client.topology, 0),
      durable: DURABLES.projectorConversations,
    });
    await ensureDurable(client.jsm, {
      stream: userStreamName(client.topology),
      durable: DURABLES.projectorUsers,
    });
  });
  after(async () => {
    await projector?.stop('SIGKILL');
    await client.close();
    await cleanupTestEnv(env);
  });

  test('shows streams with sizes, consumers with pending counts, and projection lag', async () => {
    // Lag in seconds is the age of the oldest unconsumed event: let it pass one second.
    await outlast(1000, 100);
    const s = await status();
    const chat = s.streams.find((x) => x.stream === partitionStreamName(client.topology, 0));
    assert.equal(chat?.messages, 3);
    assert.ok(chat!.bytes > 0);
    assert.ok(s.streams.some((x) => x.stream.endsWith('_DLQ') && x.exists));
    const conv = s.consumers.find((c) => c.consumer === DURABLES.projectorConversations);
    assert.deepEqual([conv?.numPending, conv?.numAckPending], [3, 0]);
    const lag = Object.fromEntries(s.projections.map((p) => [p.projection, p]));
    assert.equal(lag.conversations?.lagEvents, 3);
    assert.equal(lag.users?.lagEvents, 2);
    assert.ok(lag.conversations!.lagSeconds >= 1, `lag seconds ${lag.conversations!.lagSeconds}`);

    const table = await chatctl(env, ['status']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /STREAMS[\s\S]*CONSUMERS[\s\S]*PROJECTIONS/);
    assert.match(table.stdout, new RegExp(`${DURABLES.projectorConversations}\\s+3\\s+0`));
  });

  test('once the projector has caught up, lag is zero and its metrics say so', async () => {
    projector = await AppProcess.start('projector', env.vars);
    await eventually(
      async () => (await status()).projections.every((p) => p.lagEvents === 0 && p.lagSeconds === 0),
      20_000,
      'projections caught up',
    );
    await eventually(
      async () => {
        const metrics = (await projector!.get('/metrics')).body;
        return (
          /chat_projector_events_handled_total\{projection="conversations",stream="[A-Z0-9_]+"[^}]*\} 3/.test(
            metrics,
          ) && /chat_projector_lag_events\{projection="users"[^}]*\} 0/.test(metrics)
        );
      },
      10_000,
      'projector metrics report handled events and zero lag',
    );
  });
});
