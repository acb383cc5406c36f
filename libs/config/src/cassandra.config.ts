import { IsInt, IsString, Matches, Min } from 'class-validator';
import { ToInt, ToList } from './transforms.js';

export class CassandraConfig {
  @ToList()
  @Matches(/^[\w.-]+(:\d+)?$/, { each: true, message: 'a comma-separated list of host[:port]' })
  CASSANDRA_CONTACT_POINTS!: string[];

  @IsString({ message: 'the local datacenter name, e.g. datacenter1' })
  CASSANDRA_LOCAL_DC = 'datacenter1';

  @Matches(/^[a-z][a-z0-9_]{0,47}$/, { message: 'a keyspace name (lowercase letters, digits, _)' })
  CASSANDRA_KEYSPACE!: string;

  /** SimpleStrategy:1 locally; NetworkTopologyStrategy:dc1=3,dc2=3 in production. */
  @Matches(/^(SimpleStrategy:\d+|NetworkTopologyStrategy:[\w-]+=\d+(,[\w-]+=\d+)*)$/, {
    message: 'SimpleStrategy:<rf> or NetworkTopologyStrategy:<dc>=<rf>[,<dc>=<rf>...]',
  })
  CASSANDRA_REPLICATION = 'SimpleStrategy:1';

  @ToInt()
  @IsInt({ message: 'a request timeout in milliseconds' })
  @Min(100, { message: 'at least 100 ms' })
  CASSANDRA_REQUEST_TIMEOUT_MS = 5000;
}
