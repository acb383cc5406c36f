import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { usersTables, usersTablesDdl } from '#libs/read-models';

const migration = readFileSync(
  new URL('../../../../libs/cassandra/migrations/002_core_messaging.cql', import.meta.url),
  'utf8',
);
const normalise = (cql: string): string => cql.replace(/\s+/g, ' ').replace(/;$/, '').trim();

describe('versioned users read model tables', () => {
  test('version 1 is the tables of migration 002, column for column', () => {
    for (const ddl of usersTablesDdl(1)) {
      const name = /CREATE TABLE IF NOT EXISTS (\w+)/.exec(ddl)![1]!;
      const original = new RegExp(`CREATE TABLE IF NOT EXISTS ${name} \\([^;]*\\);`).exec(migration)?.[0];
      assert.ok(original, `migration 002 creates ${name}`);
      assert.equal(normalise(ddl), normalise(original));
    }
  });

  test('later versions get suffixed names and the same columns', () => {
    assert.deepEqual(usersTables(3), { users: 'users_v3', devices: 'devices_by_user_v3' });
    assert.deepEqual(
      usersTablesDdl(3).map((d) => normalise(d).replace(/_v3\b/g, '')),
      usersTablesDdl(1).map(normalise),
    );
  });
});
