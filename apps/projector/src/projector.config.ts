import { CassandraConfig, NatsConfig, ProcessConfig, RedisConfig, RetentionConfig } from '#libs/config';

/** Every environment variable the projector reads, by section. */
export const projectorConfigSpec = {
  process: ProcessConfig,
  nats: NatsConfig,
  cassandra: CassandraConfig,
  redis: RedisConfig,
  retention: RetentionConfig,
};
