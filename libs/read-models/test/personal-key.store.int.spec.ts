import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCassandraClient, migrate, type CqlClient } from '#libs/cassandra';
import { PersonalDataForgottenError } from '#libs/events';
import { CassandraPersonalKeyStore } from '#libs/read-models';
import { cleanupTestEnv } from '../../../test/support/cleanup.js';
import { createTestEnv } from '../../../test/support/test-env.js';

const env = createTestEnv();
let cql: CqlClient;

describe('CassandraPersonalKeyStore (real Cassandra)', () => {
  before(async () => {
    await migrate(env.cassandra);
    cql = createCassandraClient(env.cassandra);
  });
  after(async () => {
    await cql.shutdown();
    await cleanupTestEnv(env);
  });

  test('two stores creating a key for the same new user at once agree on one key', async () => {
    const a = new CassandraPersonalKeyStore(cql);
    const b = new CassandraPersonalKeyStore(cql);
    const [ka, kb] = await Promise.all([a.keyFor('u1'), b.keyFor('u1')]);
    assert.equal(ka.length, 32);
    assert.deepEqual(Buffer.from(ka), Buffer.from(kb));
    assert.deepEqual(
      Buffer.from((await new CassandraPersonalKeyStore(cql).existingKey('u1'))!),
      Buffer.from(ka),
    );
  });

  test('a destroyed key is gone for every store (after evict), and none is ever made again', async () => {
    const reader = new CassandraPersonalKeyStore(cql);
    await reader.keyFor('u2');
    const forgetter = new CassandraPersonalKeyStore(cql);
    assert.equal(await forgetter.destroy('u2', 'dpo@example.com', new Date()), true);
    assert.equal(await forgetter.destroy('u2', 'dpo@example.com', new Date()), false, 'second time: already');
    reader.evict('u2'); // what the core NATS notice does
    assert.equal(await reader.existingKey('u2'), undefined);
    await assert.rejects(reader.keyFor('u2'), PersonalDataForgottenError);
    await assert.rejects(new CassandraPersonalKeyStore(cql).keyFor('u2'), PersonalDataForgottenError);
    assert.equal((await forgetter.forgottenAt('u2'))?.by, 'dpo@example.com');
  });

  test('a cached key expires after the TTL without any notice', async () => {
    let now = 1_000_000;
    const cached = new CassandraPersonalKeyStore(cql, { ttlMs: 1000, maxEntries: 10 }, () => now);
    await cached.keyFor('u3');
    await new CassandraPersonalKeyStore(cql).destroy('u3', 'ops', new Date());
    assert.ok(await cached.existingKey('u3'), 'still cached within the TTL');
    now += 1001;
    assert.equal(await cached.existingKey('u3'), undefined);
  });

  test('a user never seen can be forgotten too, and then gets no key', async () => {
    const store = new CassandraPersonalKeyStore(cql);
    assert.equal(await store.destroy('u4', 'ops', new Date()), true);
    await assert.rejects(store.keyFor('u4'), PersonalDataForgottenError);
  });
});
