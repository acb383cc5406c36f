import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCassandraClient, migrate, type CqlClient } from '#libs/cassandra';
import { chatEventCodec, type ChatEvent, type UserEvent } from '#libs/events';
import { EventStore, NatsClient, provisionStreams, streamTopology, type SystemStatus } from '#libs/nats';
import { AppProcess, eventually } from '../../../test/support/app-process.js';
import { chatctl } from '../../../test/support/chatctl.js';
import { cleanupTestEnv } from '../../../test/support/cleanup.js';
import {
  deviceAdded,
  deviceRemoved,
  subjectFor,
  userRegistered,
} from '../../../test/support/event-fixtures.js';
import { createTestEnv } from '../../../test/support/test-env.js';
import { pace } from '../../../test/support/wait.js';

const env = createTestEnv();
let client: NatsClient;
let cql: CqlClient;
let projector: AppProcess;
let store: EventStore<ChatEvent>;
const log: UserEvent[] = [];

async function append(e: UserEvent): Promise<void> {
  await store.append(subjectFor(client.topology, e), e);
  log.push(e);
}

/** What the users read model must hold after every event of the log, applied in order. */
function expectedModel(): { users: string[]; devices: string[] } {
  const users = new Map<string, string>();
  const devices = new Set<string>();
  for (const e of log) {
    if (e.type === 'UserRegistered') users.set(e.data.userId, e.data.phone);
    if (e.type === 'DeviceAdded') devices.add(`${e.data.userId}/${e.data.deviceId}/${e.data.name}`);
    if (e.type === 'DeviceRemoved') {
      for (const d of devices) if (d.startsWith(`${e.data.userId}/${e.data.deviceId}/`)) devices.delete(d);
    }
  }
  return { users: [...users].map(([u, p]) => `${u}:${p}`).sort(), devices: [...devices].sort() };
}

async function model(version: number): Promise<{ users: string[]; devices: string[] }> {
  const sfx = version === 1 ? '' : `_v${version}`;
  const users = (await cql.execute(`SELECT user_id, phone FROM users${sfx}`, [], { fetchSize: 10_000 })).rows;
  const devices = (
    await cql.execute(`SELECT user_id, device_id, name FROM devices_by_user${sfx}`, [], { fetchSize: 10_000 })
  ).rows;
  return {
    users: users.map((r) => `${r.get('user_id')}:${r.get('phone')}`).sort(),
    devices: devices.map((r) => `${r.get('user_id')}/${r.get('device_id')}/${r.get('name')}`).sort(),
  };
}

async function caughtUp(): Promise<void> {
  await eventually(
    async () => {
      const r = await chatctl(env, ['status', '--json']);
      return (JSON.parse(r.stdout) as SystemStatus).projections.every((p) => p.lagEvents === 0);
    },
    20_000,
    'projector caught up',
  );
}

describe('chatctl rebuild users (real projector, NATS and Cassandra, while events keep flowing)', () => {
  before(async () => {
    client = await NatsClient.connect(env.nats, 'chatctl-rebuild-test');
    await provisionStreams(client.jsm, streamTopology(client.topology), 1);
    await migrate(env.cassandra);
    cql = createCassandraClient(env.cassandra);
    store = new EventStore<ChatEvent>(client.js, client.jsm, chatEventCodec);
    for (let u = 0; u < 40; u++) {
      await append(userRegistered(`u${u}`, `+1415555${String(1000 + u)}`));
      await append(deviceAdded(`u${u}`, 'd1'));
      await append(deviceAdded(`u${u}`, 'd2'));
      if (u % 3 === 0) await append(deviceRemoved(`u${u}`, 'd1'));
    }
    projector = await AppProcess.start('projector', env.vars);
    await caughtUp();
  });
  after(async () => {
    await projector.stop('SIGKILL');
    await cql.shutdown();
    await client.close();
    await cleanupTestEnv(env);
  });

  test('builds v2 beside v1, switches readers once caught up, and ends equal to the log', async () => {
    let flowing = true;
    let n = 0;
    const traffic = (async () => {
      while (flowing) {
        const user = `u${n % 40}`;
        await append(n % 4 === 3 ? deviceRemoved(user, `live${n - 1}`) : deviceAdded(user, `live${n}`));
        if (n % 10 === 0) await append(userRegistered(`new${n}`, `+1415666${String(1000 + n).slice(-4)}`));
        n++;
        await pace(5);
      }
    })();

    let r;
    try {
      r = await chatctl(env, ['rebuild', 'users', '--by', 'test-operator'], 60_000);
    } finally {
      if (r?.code !== 0) {
        flowing = false;
        await traffic;
      }
    }
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /v1 serves; building v2/);
    assert.match(r.stderr, /readers switched to v2/);
    assert.match(r.stderr, /rebuild users: done, \d+ events/);
    const atSwitch = log.length;

    // Keep writing after the rebuild ended: only the live projector, now on v2, applies these.
    await eventually(async () => log.length >= atSwitch + 50, 20_000, 'events after the switch');
    flowing = false;
    await traffic;
    assert.ok(log.length > atSwitch, 'events flowed after the switch');
    await caughtUp();

    const want = expectedModel();
    assert.deepEqual(await model(2), want, 'the rebuilt model equals the log, including live events');
    const row = (
      await cql.execute("SELECT version, switched_by FROM read_model_versions WHERE projection = 'users'")
    ).first();
    assert.equal(row?.get('version'), 2);
    assert.equal(row?.get('switched_by'), 'test-operator');
    const old = await model(1);
    const last = log.at(-1)!;
    const lastKey = last.type === 'UserRegistered' ? `${last.data.userId}:${last.data.phone}` : undefined;
    if (lastKey) assert.ok(!old.users.includes(lastKey), 'v1 is no longer written after the switch');
    assert.notDeepEqual(old, want, 'v1 stopped at the switch');
  });

  test('an unknown projection is a usage error', async () => {
    const r = await chatctl(env, ['rebuild', 'timelines']);
    assert.equal(r.code, 64);
  });
});
