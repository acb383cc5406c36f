import { randomBytes } from 'node:crypto';
import { CassandraConfig, loadConfig, NatsConfig, RedisConfig, S3Config } from '#libs/config';

/**
 * An isolated slice of the shared local servers for one test file: its own NATS namespace (streams and
 * subjects), Cassandra keyspace, Redis key prefix and S3 bucket. Values default to the local stack.
 */
export interface TestEnv {
  readonly id: string;
  readonly vars: Record<string, string>;
  readonly nats: Readonly<NatsConfig>;
  readonly cassandra: Readonly<CassandraConfig>;
  readonly redis: Readonly<RedisConfig>;
  readonly s3: Readonly<S3Config>;
}

export function createTestEnv(overrides: Record<string, string> = {}): TestEnv {
  const id = `t${randomBytes(4).toString('hex')}`;
  const vars: Record<string, string> = {
    NODE_ENV: 'test',
    NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    NATS_NAMESPACE: id,
    CHAT_STREAM_PARTITIONS: '1',
    CASSANDRA_CONTACT_POINTS: process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:9042',
    CASSANDRA_KEYSPACE: `${id}_chat`,
    CASSANDRA_REPLICATION: 'SimpleStrategy:1',
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: id,
    S3_ENDPOINT: process.env.S3_ENDPOINT ?? 'http://127.0.0.1:9000',
    S3_ACCESS_KEY_ID: 'local-identity',
    S3_SECRET_ACCESS_KEY: 'local-credential',
    S3_BUCKET: `${id}-media`,
    JWT_SECRET: 'test-jwt-secret-0123456789abcdef-0123456789',
    PHONE_HASH_SECRET: 'test-phone-hash-secret-0123456789abcdef',
    // Every test client comes from 127.0.0.1: per-address limits would count a whole suite as one abuser.
    CODE_REQUESTS_PER_ADDRESS_PER_HOUR: '1000000',
    LOOKUP_PHONES_PER_ADDRESS_PER_HOUR: '1000000',
    REFRESHES_PER_ADDRESS_PER_HOUR: '1000000',
    ...overrides,
  };
  const sections = loadConfig(
    { nats: NatsConfig, cassandra: CassandraConfig, redis: RedisConfig, s3: S3Config },
    vars,
  );
  return { id, vars, ...sections };
}
