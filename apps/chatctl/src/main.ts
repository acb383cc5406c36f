#!/usr/bin/env node
import { CassandraConfig, ConfigError, loadConfig } from '#libs/config';
import { migrate } from '#libs/cassandra';

/** chatctl: the operator's and analyst's command line. */
const usage = `usage: chatctl <command>

commands:
  migrate        create the keyspace and apply pending CQL migrations
`;

async function runMigrate(): Promise<void> {
  const { cassandra } = loadConfig({ cassandra: CassandraConfig });
  const started = Date.now();
  const result = await migrate(cassandra, (p) => {
    if (p.kind === 'keyspace') process.stderr.write(`migrate: keyspace ${p.keyspace}\n`);
    if (p.kind === 'apply') process.stderr.write(`migrate: applying ${p.migration.name} ...`);
    if (p.kind === 'applied') process.stderr.write(` done in ${p.ms} ms\n`);
  });
  process.stderr.write(
    `migrate: ${result.applied} applied, ${result.skipped} already applied (${Date.now() - started} ms)\n`,
  );
}

const [command] = process.argv.slice(2);
try {
  if (command === 'migrate') await runMigrate();
  else {
    process.stderr.write(command ? `chatctl: unknown command "${command}"\n${usage}` : usage);
    process.exit(64);
  }
} catch (err) {
  if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
  else process.stderr.write(`chatctl ${command}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
