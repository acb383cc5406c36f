import { createCassandraClient, type CqlClient } from '#libs/cassandra';
import { CassandraConfig, loadConfig } from '#libs/config';
import { chatEventCodec, PersonalDataVault, type ChatEvent } from '#libs/events';
import { CassandraPersonalKeyStore } from '#libs/read-models';

/** Connects with the same CASSANDRA_* variables as the apps. */
export async function withCassandra<T>(name: string, run: (cql: CqlClient) => Promise<T>): Promise<T> {
  const { cassandra } = loadConfig({ cassandra: CassandraConfig });
  const cql = createCassandraClient(cassandra, { applicationName: `chatctl-${name}` });
  try {
    return await run(cql);
  } finally {
    await cql.shutdown();
  }
}

/**
 * How chatctl reads events, like the apps: personal fields opened with their owner's key, FORGOTTEN
 * once it was destroyed. One command run is short, so its cache holds every key it needed.
 */
export function vaultOver(cql: CqlClient): PersonalDataVault<ChatEvent> {
  return new PersonalDataVault(
    chatEventCodec,
    new CassandraPersonalKeyStore(cql, { ttlMs: 60_000, maxEntries: 100_000 }),
  );
}
