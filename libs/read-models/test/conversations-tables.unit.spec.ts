import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMigrations } from '#libs/cassandra';
import { conversationsTables, conversationsTablesDdl } from '#libs/read-models';

/** A table as the statements leave it: column types, primary key and clustering order. */
interface TableShape {
  columns: Record<string, string>;
  primaryKey: string;
  clustering: string;
}

const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** Folds CREATE TABLE and ALTER TABLE ... ADD statements into the shape of each table. */
function shapes(statements: readonly string[]): Map<string, TableShape> {
  const out = new Map<string, TableShape>();
  for (const raw of statements) {
    const st = squash(raw);
    const create = /^CREATE TABLE IF NOT EXISTS (\w+) \((.*)\)( WITH CLUSTERING ORDER BY \((.*)\))?$/.exec(
      st,
    );
    if (create) {
      const [, name, body, , clustering] = create;
      const shape: TableShape = { columns: {}, primaryKey: '', clustering: clustering ?? '' };
      const pk = /PRIMARY KEY (\(.*\))$/.exec(body!);
      const cols = pk ? body!.slice(0, pk.index).replace(/,\s*$/, '') : body!;
      for (const col of cols.split(/,(?![^<]*>)/).map((c) => c.trim())) {
        const [colName, ...type] = col.split(' ');
        const inline = type.join(' ').replace(/ PRIMARY KEY$/, '');
        if (type.join(' ').endsWith('PRIMARY KEY')) shape.primaryKey = `(${colName})`;
        shape.columns[colName!] = inline;
      }
      if (pk) shape.primaryKey = pk[1]!.replace(/\s/g, '');
      out.set(name!, shape);
      continue;
    }
    const alter = /^ALTER TABLE (\w+) ADD \(?(.*?)\)?$/.exec(st);
    if (alter) {
      const shape = out.get(alter[1]!);
      if (!shape) continue;
      for (const col of alter[2]!.split(/,(?![^<]*>)/).map((c) => c.trim())) {
        const [colName, ...type] = col.split(' ');
        shape.columns[colName!] = type.join(' ');
      }
    }
  }
  return out;
}

describe('versioned conversations read model tables', () => {
  test('version 1 has the columns, keys and order the migrations give the live tables', async () => {
    const migrated = shapes((await loadMigrations()).flatMap((m) => m.statements));
    const defined = shapes(conversationsTablesDdl(1));
    assert.deepEqual([...defined.keys()].sort(), Object.values(conversationsTables(1)).sort());
    for (const [name, shape] of defined) {
      assert.ok(migrated.has(name), `the migrations create ${name}`);
      assert.deepEqual(shape, migrated.get(name), name);
    }
  });

  test('later versions get suffixed names and the same definitions', () => {
    assert.equal(conversationsTables(4).messagesByConversation, 'messages_by_conversation_v4');
    assert.equal(conversationsTables(1).conversationsByUser, 'conversations_by_user');
    assert.deepEqual(
      conversationsTablesDdl(4).map((d) => squash(d).replace(/_v4\b/g, '')),
      conversationsTablesDdl(1).map(squash),
    );
  });
});
