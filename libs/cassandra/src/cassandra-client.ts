import cassandra from 'cassandra-driver';
import type { CassandraConfig } from '#libs/config';

export type CqlClient = cassandra.Client;
export const { types: cqlTypes } = cassandra;

/** Builds a driver client; pass `withKeyspace: false` to connect before the keyspace exists. */
export function createCassandraClient(
  config: Readonly<CassandraConfig>,
  options: { withKeyspace?: boolean; applicationName?: string } = {},
): CqlClient {
  return new cassandra.Client({
    contactPoints: [...config.CASSANDRA_CONTACT_POINTS],
    localDataCenter: config.CASSANDRA_LOCAL_DC,
    ...(options.withKeyspace === false ? {} : { keyspace: config.CASSANDRA_KEYSPACE }),
    applicationName: options.applicationName,
    socketOptions: { readTimeout: config.CASSANDRA_REQUEST_TIMEOUT_MS, connectTimeout: 5000 },
    // Schema metadata is never read by the app; skipping its refresh makes every DDL much faster.
    isMetadataSyncEnabled: false,
    protocolOptions: { maxSchemaAgreementWaitSeconds: 5 },
    queryOptions: { prepare: true, consistency: cassandra.types.consistencies.localQuorum },
  });
}

/** `SimpleStrategy:1` or `NetworkTopologyStrategy:dc1=3,dc2=3` as a CQL replication map. */
export function replicationCql(setting: string): string {
  const [strategy, rest = ''] = setting.split(':');
  if (strategy === 'SimpleStrategy')
    return `{'class': 'SimpleStrategy', 'replication_factor': ${Number(rest)}}`;
  const dcs = rest.split(',').map((pair) => {
    const [dc, rf] = pair.split('=');
    return `'${dc}': ${Number(rf)}`;
  });
  return `{'class': 'NetworkTopologyStrategy', ${dcs.join(', ')}}`;
}
