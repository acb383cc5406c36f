import { createCassandraClient } from '#libs/cassandra';
import { chatEventCodec, PersonalDataVault, type ChatEvent } from '#libs/events';
import { CassandraPersonalKeyStore } from '#libs/read-models';
import type { TestEnv } from './test-env.js';

/**
 * Reads events as the apps do (personal fields opened with the users' keys in the test keyspace): what a
 * test needs to read events a gateway wrote. `close` ends its Cassandra connection.
 */
export function testVault(env: TestEnv): { vault: PersonalDataVault<ChatEvent>; close: () => Promise<void> } {
  const cql = createCassandraClient(env.cassandra, { applicationName: 'test-vault' });
  return {
    vault: new PersonalDataVault(chatEventCodec, new CassandraPersonalKeyStore(cql)),
    close: () => cql.shutdown(),
  };
}
