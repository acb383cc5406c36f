import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCassandraClient, migrate, MIGRATIONS_DIR, splitStatements } from '#libs/cassandra';
import { createTestEnv } from '../../../test/support/test-env.js';
import { cleanupTestEnv } from '../../../test/support/cleanup.js';

const env = createTestEnv();

describe('CQL migrations (real Cassandra)', () => {
  after(() => cleanupTestEnv(env));

  test('splitStatements ignores comments and splits on ; at line end', () => {
    assert.deepEqual(
      splitStatements(
        '-- note\nCREATE TABLE a (x int PRIMARY KEY);\n\nCREATE TABLE b (\n y int PRIMARY KEY\n);\n',
      ),
      ['CREATE TABLE a (x int PRIMARY KEY)', 'CREATE TABLE b (\n y int PRIMARY KEY\n)'],
    );
  });

  test('migrations apply once, then a second run applies nothing; a row can be written and read', async () => {
    const first = await migrate(env.cassandra);
    assert.ok(first.applied >= 1);
    assert.equal(first.skipped, 0);
    const second = await migrate(env.cassandra);
    assert.equal(second.applied, 0);
    assert.equal(second.skipped, first.applied);

    const client = createCassandraClient(env.cassandra);
    try {
      await client.execute(
        'INSERT INTO projection_positions (projection, stream, last_sequence, updated_at) VALUES (?, ?, ?, ?)',
        ['timeline', 'CHAT_0', 42, new Date()],
      );
      const row = (
        await client.execute('SELECT last_sequence FROM projection_positions WHERE projection = ?', [
          'timeline',
        ])
      ).first();
      assert.equal(row.get('last_sequence').toString(), '42');
      const versions = (await client.execute('SELECT version FROM schema_migrations')).rows.length;
      assert.equal(versions, first.applied);
    } finally {
      await client.shutdown();
    }
  });

  test('a migration edited after it was applied is refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'migrations-'));
    await cp(MIGRATIONS_DIR, dir, { recursive: true });
    await writeFile(
      join(dir, '001_projection_positions.cql'),
      '-- edited\nCREATE TABLE IF NOT EXISTS edited (x int PRIMARY KEY);\n',
    );
    await assert.rejects(
      migrate(env.cassandra, undefined, dir),
      /001_projection_positions changed after it was applied/,
    );
  });

  test('a migration that died after its ALTER TABLE ... ADD but before it was recorded applies again', async () => {
    await migrate(env.cassandra);
    const client = createCassandraClient(env.cassandra);
    try {
      const rows = (await client.execute('SELECT version, name FROM schema_migrations')).rows;
      const withAlter = rows.find((r) => String(r.get('name')).includes('media'));
      assert.ok(withAlter, 'the media migration adds a column with ALTER TABLE');
      await client.execute('DELETE FROM schema_migrations WHERE version = ?', [withAlter.get('version')]);
    } finally {
      await client.shutdown();
    }
    const again = await migrate(env.cassandra);
    assert.equal(again.applied, 1);
  });
});
