import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Client } from 'cassandra-driver';
import { createCassandraClient, migrate } from '#libs/cassandra';
import { chatEventCodec, userSubject, type ChatEvent } from '#libs/events';
import { EventStore, NatsClient, provisionStreams, streamTopology, userStreamName } from '#libs/nats';
import { AppProcess, eventually } from '../../../test/support/app-process.js';
import { chatctl } from '../../../test/support/chatctl.js';
import { cleanupTestEnv } from '../../../test/support/cleanup.js';
import { subjectFor, userRegistered } from '../../../test/support/event-fixtures.js';
import { createTestEnv } from '../../../test/support/test-env.js';

interface Listed {
  seq: number;
  eventType: string;
  stream: string;
  sequence: number;
  durable: string;
  error: string;
  errorCode: string;
  attempts: number;
  retries: number;
}

const env = createTestEnv({ PROJECTOR_MAX_ATTEMPTS: '2', PROJECTOR_RETRY_BACKOFF_MS: '10' });
let client: NatsClient;
let cql: Client;
let projector: AppProcess;
const usersTable = /CREATE TABLE IF NOT EXISTS users \([^;]*\);/.exec(
  readFileSync(
    new URL('../../../../libs/cassandra/migrations/002_core_messaging.cql', import.meta.url),
    'utf8',
  ),
)![0];

async function list(): Promise<Listed[]> {
  const r = await chatctl(env, ['dlq', 'list', '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Listed[];
}

async function userRow(userId: string): Promise<{ phone: string } | undefined> {
  const rs = await cql.execute('SELECT phone FROM users WHERE user_id = ?', [userId]);
  const row = rs.first();
  return row ? { phone: String(row.get('phone')) } : undefined;
}

describe('poison events and chatctl dlq (real projector, NATS and Cassandra)', () => {
  before(async () => {
    client = await NatsClient.connect(env.nats, 'chatctl-dlq-test');
    await provisionStreams(client.jsm, streamTopology(client.topology), 1);
    await migrate(env.cassandra);
    cql = createCassandraClient(env.cassandra);
    projector = await AppProcess.start('projector', env.vars);
  });
  after(async () => {
    await projector.stop('SIGKILL');
    await cql.shutdown();
    await client.close();
    await cleanupTestEnv(env);
  });

  test('an event the projection keeps failing on is parked with its origin; retry applies it once the fault is fixed', async () => {
    const store = new EventStore<ChatEvent>(client.js, client.jsm, chatEventCodec);
    await store.append(
      subjectFor(client.topology, userRegistered('alice', '+14155550120')),
      userRegistered('alice', '+14155550120'),
    );
    await eventually(async () => (await userRow('alice')) !== undefined, 10_000, 'alice projected');

    // The read model's table disappears (an operator's mistake): the next event cannot be applied.
    await cql.execute('DROP TABLE users');
    const bob = userRegistered('bob', '+14155550121');
    const appended = await store.append(subjectFor(client.topology, bob), bob);
    // An undecodable payload is parked at once, without retries.
    const garbage = await client.js.publish(userSubject(client.topology, 'mallory'), 'not an event');

    await eventually(async () => (await list()).length === 2, 20_000, 'two events parked');
    const listed = await list();
    const parked = listed.find((d) => d.eventType === 'UserRegistered');
    const malformed = listed.find((d) => d.eventType !== 'UserRegistered');
    assert.equal(parked?.stream, userStreamName(client.topology));
    assert.equal(parked?.sequence, appended.seq);
    assert.equal(parked?.durable, 'projector-users');
    assert.equal(parked?.eventType, 'UserRegistered');
    assert.equal(parked?.attempts, 2);
    assert.ok(parked!.error.length > 0, 'the error is recorded');
    assert.equal(malformed?.sequence, garbage.seq);
    assert.equal(malformed?.errorCode, 'EVENT_MALFORMED');
    assert.equal(malformed?.attempts, 1);
    assert.ok(
      projector.output.join('').includes(`sequence ${appended.seq} parked`),
      'a log line names the stream sequence',
    );
    const metrics = (await projector.get('/metrics')).body;
    assert.match(
      metrics,
      /chat_projector_dead_letters_total\{projection="users",stream="[A-Z0-9_]+USERS"[^}]*\} 2/,
    );

    const shown = await chatctl(env, ['dlq', 'show', String(parked!.seq)]);
    assert.equal(shown.code, 0, shown.stderr);
    const detail = JSON.parse(shown.stdout) as { event: ChatEvent; sequence: number };
    assert.equal(detail.sequence, appended.seq);
    assert.deepEqual(detail.event, bob);

    // The fault is fixed; the parked event goes back to its projection at its original position.
    await cql.execute(usersTable);
    const retried = await chatctl(env, ['dlq', 'retry', String(parked!.seq)]);
    assert.equal(retried.code, 0, retried.stderr);
    await eventually(
      async () => (await userRow('bob'))?.phone === '+14155550121',
      15_000,
      'bob applied on retry',
    );
    assert.equal((await list()).find((d) => d.seq === parked!.seq)?.retries, 1);

    // Retrying the malformed one parks it again, still naming where it sits in USERS.
    const again = await chatctl(env, ['dlq', 'retry', '--all']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /1 retried/);
    await eventually(async () => (await list()).length === 3, 15_000, 'malformed event parked again');
    const reparked = (await list())[2]!;
    assert.equal(reparked.sequence, garbage.seq);
    assert.equal(reparked.stream, userStreamName(client.topology));
    assert.equal(reparked.durable, 'projector-users');
  });

  test('show of an unknown sequence is a usage error', async () => {
    const r = await chatctl(env, ['dlq', 'show', '999']);
    assert.equal(r.code, 64);
    assert.match(r.stderr, /no parked event/);
  });
});
