import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCassandraClient, migrate, type CqlClient } from '#libs/cassandra';
import { InboxStore, type InboxEntry } from '#libs/read-models';
import { cleanupTestEnv } from '../support/cleanup.js';
import { createTestEnv } from '../support/test-env.js';

/*
 * `ack` of 500 entries the connection did not push looked each one up with its own statement, one
 * after the other (and deleted each with another). The inbox answers them in bounded batches: one
 * statement per partition and 100 entries, whatever the number of entries.
 */
const env = createTestEnv();
let cql: CqlClient;
let statements = 0;

/** The real driver client, counting the statements it is asked to run. */
function counting(client: CqlClient): CqlClient {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'execute')
        return (...args: Parameters<CqlClient['execute']>) => {
          statements++;
          return target.execute(...args);
        };
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}

describe('acknowledging 500 inbox entries', () => {
  before(async () => {
    await migrate(env.cassandra);
    cql = createCassandraClient(env.cassandra);
  });
  after(async () => {
    await cql.shutdown();
    await cleanupTestEnv(env);
  });

  test('looks up and deletes 500 entries over two partitions in at most 6 statements each', async () => {
    const inbox = new InboxStore(counting(cql));
    const entries: InboxEntry[] = Array.from({ length: 500 }, (_, i) => ({
      userId: 'u1',
      deviceId: 'd1',
      partition: i % 2,
      seq: 1000 + i,
      kind: 'message',
      conversationId: 'c1',
      payload: JSON.stringify({ n: i }),
    }));
    await inbox.add(entries);
    const asked = [
      ...entries.map((e) => ({ partition: e.partition, seq: e.seq })),
      { partition: 0, seq: 99 },
    ];

    statements = 0;
    const found = await inbox.findMany('u1', 'd1', asked);
    assert.ok(statements <= 6, `lookup took ${statements} statements`);
    assert.equal(found.length, 500, 'every stored entry found, the unknown one not');
    assert.deepEqual(new Set(found.map((e) => e.payload)), new Set(entries.map((e) => e.payload)));

    statements = 0;
    await inbox.remove('u1', 'd1', asked);
    assert.ok(statements <= 6, `delete took ${statements} statements`);
    assert.equal((await inbox.findMany('u1', 'd1', asked)).length, 0, 'all gone');
    assert.equal(await inbox.firstPending('u1', 'd1', 0, 0), undefined);
  });
});
