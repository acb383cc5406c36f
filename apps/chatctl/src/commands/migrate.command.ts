import { migrate } from '#libs/cassandra';
import { CassandraConfig, loadConfig } from '#libs/config';

export async function runMigrate(): Promise<void> {
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
