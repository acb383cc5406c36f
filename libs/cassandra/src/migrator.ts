import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CassandraConfig } from '#libs/config';
import { createCassandraClient, replicationCql, SCHEMA_CHANGE_TIMEOUT_MS } from './cassandra-client.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
  readonly checksum: string;
}

export type MigrationProgress =
  | { kind: 'keyspace'; keyspace: string }
  | { kind: 'skip'; migration: Migration }
  | { kind: 'apply'; migration: Migration }
  | { kind: 'applied'; migration: Migration; ms: number };

/** The folder of versioned .cql files, found from this file whether run from src or dist. */
export const MIGRATIONS_DIR = new URL('../migrations/', import.meta.url).pathname.replace(
  /\/dist\/libs\/cassandra\/migrations\/$/,
  '/libs/cassandra/migrations/',
);

/** Splits a .cql file into statements: `;` ends a statement at the end of a line; `--` starts a comment. */
/**
 * CREATE ... IF NOT EXISTS is idempotent by itself; ALTER TABLE ... ADD is not, and its IF NOT EXISTS form
 * is Cassandra-only. A column that already exists means an earlier run added it before dying unrecorded.
 */
async function executeIdempotent(
  client: { execute(cql: string): Promise<unknown> },
  statement: string,
): Promise<void> {
  try {
    await client.execute(statement);
  } catch (err) {
    const addsColumn = /^\s*ALTER\s+TABLE\s+\S+\s+ADD\s/i.test(statement);
    if (
      addsColumn &&
      err instanceof Error &&
      /conflicts with an existing column|already exists/i.test(err.message)
    )
      return;
    throw err;
  }
}

export function splitStatements(cql: string): string[] {
  const lines = cql.split('\n').filter((l) => !l.trim().startsWith('--'));
  return lines
    .join('\n')
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter(Boolean);
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{3}_[a-z0-9_]+\.cql$/.test(f)).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const text = await readFile(join(dir, file), 'utf8');
    migrations.push({
      version: Number(file.slice(0, 3)),
      name: file.replace(/\.cql$/, ''),
      statements: splitStatements(text),
      checksum: createHash('sha256').update(text).digest('hex').slice(0, 16),
    });
  }
  const versions = migrations.map((m) => m.version);
  if (new Set(versions).size !== versions.length) throw new Error(`duplicate migration versions in ${dir}`);
  return migrations;
}

/**
 * Creates the keyspace and applies every migration not yet recorded in schema_migrations. Statements are
 * idempotent (IF NOT EXISTS), so a run that died half-way is simply run again. A migration whose file
 * changed after it was applied is an error: write a new one instead.
 */
export async function migrate(
  config: Readonly<CassandraConfig>,
  onProgress: (p: MigrationProgress) => void = () => undefined,
  dir = MIGRATIONS_DIR,
): Promise<{ applied: number; skipped: number }> {
  const migrations = await loadMigrations(dir);
  const ks = config.CASSANDRA_KEYSPACE;
  const client = createCassandraClient(config, {
    withKeyspace: false,
    applicationName: 'chat-migrate',
    timeoutMs: SCHEMA_CHANGE_TIMEOUT_MS,
  });
  try {
    await client.connect();
    onProgress({ kind: 'keyspace', keyspace: ks });
    await client.execute(
      `CREATE KEYSPACE IF NOT EXISTS ${ks} WITH replication = ${replicationCql(config.CASSANDRA_REPLICATION)}`,
    );
    await client.execute(
      `CREATE TABLE IF NOT EXISTS ${ks}.schema_migrations (version int PRIMARY KEY, name text, checksum text, applied_at timestamp)`,
    );
    const rows = (await client.execute(`SELECT version, checksum FROM ${ks}.schema_migrations`)).rows;
    const done = new Map(rows.map((r) => [r.get('version') as number, r.get('checksum') as string]));
    let applied = 0;
    for (const m of migrations) {
      const recorded = done.get(m.version);
      if (recorded !== undefined) {
        if (recorded !== m.checksum) {
          throw new Error(
            `migration ${m.name} changed after it was applied (checksum ${recorded} -> ${m.checksum})`,
          );
        }
        onProgress({ kind: 'skip', migration: m });
        continue;
      }
      onProgress({ kind: 'apply', migration: m });
      const started = Date.now();
      await client.execute(`USE ${ks}`);
      for (const statement of m.statements) await executeIdempotent(client, statement);
      await client.execute(
        `INSERT INTO ${ks}.schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, toTimestamp(now()))`,
        [m.version, m.name, m.checksum],
        { prepare: true },
      );
      applied++;
      onProgress({ kind: 'applied', migration: m, ms: Date.now() - started });
    }
    return { applied, skipped: migrations.length - applied };
  } finally {
    await client.shutdown();
  }
}
