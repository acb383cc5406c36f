import cassandra from 'cassandra-driver';
import type { CassandraConfig } from '#libs/config';
import type { StatementTexts } from './statement-texts.js';

export type CqlClient = cassandra.Client;
export const { types: cqlTypes } = cassandra;

/**
 * Schema changes wait for the node to write and agree on its schema, which on a busy single node can take
 * far longer than a query may: clients that run DDL (migrations, test keyspaces) use this timeout.
 */
export const SCHEMA_CHANGE_TIMEOUT_MS = 60_000;

/** Builds a driver client; pass `withKeyspace: false` to connect before the keyspace exists. */
export function createCassandraClient(
  config: Readonly<CassandraConfig>,
  options: {
    withKeyspace?: boolean;
    applicationName?: string;
    timeoutMs?: number;
    /** Records the distinct statement texts this client sends (exported on /metrics by the apps). */
    statementTexts?: StatementTexts;
  } = {},
): CqlClient {
  const timeout = options.timeoutMs ?? config.CASSANDRA_REQUEST_TIMEOUT_MS;
  return new cassandra.Client({
    contactPoints: [...config.CASSANDRA_CONTACT_POINTS],
    localDataCenter: config.CASSANDRA_LOCAL_DC,
    ...(options.withKeyspace === false ? {} : { keyspace: config.CASSANDRA_KEYSPACE }),
    applicationName: options.applicationName,
    socketOptions: { readTimeout: timeout, connectTimeout: Math.max(5000, timeout) },
    // Schema metadata is never read by the app; skipping its refresh makes every DDL much faster.
    isMetadataSyncEnabled: false,
    protocolOptions: { maxSchemaAgreementWaitSeconds: 5 },
    // A wave's writes go out at once (a receipt for 500 messages is 500 partitions): past the driver's
    // default of 2,048 in flight on the connection it fails them with BusyConnectionError, which a
    // 10,000-message sync met; the protocol allows 32,768 and the server queues them.
    pooling: { maxRequestsPerConnection: 32_768 },
    // Every statement is prepared: its text must carry `?` bind markers for values, never the values.
    queryOptions: { prepare: true, consistency: cassandra.types.consistencies.localQuorum },
    ...(options.statementTexts ? { requestTracker: options.statementTexts } : {}),
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
