import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cassandraRequestCounter,
  cassandraStatementCounts,
  createCassandraClient,
  migrate,
  statementCaller,
  StatementTexts,
  type CqlClient,
} from '#libs/cassandra';
import { MetricsService } from '#libs/platform';
import { createTestEnv } from '../../../test/support/test-env.js';
import { cleanupTestEnv } from '../../../test/support/cleanup.js';

const env = createTestEnv();

/** The value of one sample of a metric in the registry's text output (0 when absent). */
async function sample(metrics: MetricsService, name: string, labels = ''): Promise<number> {
  const text = await metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('Cassandra statement counters by caller (real Cassandra)', () => {
  const metrics = new MetricsService();
  let cql: CqlClient;

  before(async () => {
    await migrate(env.cassandra);
    cql = createCassandraClient(env.cassandra, {
      statementTexts: new StatementTexts(
        () => undefined,
        cassandraStatementCounts(metrics),
        cassandraRequestCounter(metrics),
      ),
    });
  });
  after(async () => {
    await cql?.shutdown();
    await cleanupTestEnv(env);
  });

  test('a caller is the verb and table of the text', () => {
    assert.equal(statementCaller('SELECT a, b FROM conversations WHERE id = ?'), 'select conversations');
    assert.equal(statementCaller('INSERT INTO inbox_by_device (a) VALUES (?)'), 'insert inbox_by_device');
    assert.equal(statementCaller('UPDATE devices USING TIMESTAMP ? SET x = ? WHERE y = ?'), 'update devices');
    assert.equal(statementCaller('DELETE FROM ks.inbox_by_device WHERE a = ?'), 'delete inbox_by_device');
    assert.equal(statementCaller('  select now() from system.local'), 'select local');
  });

  test('every statement moves its caller counter; a batch counts each statement, one request', async () => {
    const insert =
      'INSERT INTO projection_positions (projection, stream, last_sequence, updated_at) VALUES (?, ?, ?, ?)';
    const select = 'SELECT last_sequence FROM projection_positions WHERE projection = ?';
    const requests0 = await sample(metrics, 'chat_cassandra_requests_total');
    for (let i = 0; i < 3; i++) await cql.execute(insert, [`count-${i}`, 'CHAT_0', i, new Date()]);
    await cql.execute(select, ['count-1']);
    await cql.batch(
      [
        { query: insert, params: ['count-9', 'CHAT_0', 1, new Date()] },
        { query: insert, params: ['count-9', 'CHAT_1', 2, new Date()] },
      ],
      { prepare: true, logged: false },
    );
    assert.equal(
      await sample(metrics, 'chat_cassandra_statements_total', 'caller="insert projection_positions"'),
      5,
    );
    assert.equal(
      await sample(metrics, 'chat_cassandra_statements_total', 'caller="select projection_positions"'),
      1,
    );
    assert.equal((await sample(metrics, 'chat_cassandra_requests_total')) - requests0, 5);
  });
});
