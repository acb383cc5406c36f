import { CassandraConfig, NatsConfig, ProcessConfig, RedisConfig } from '#libs/config';

/** Every environment variable the notifier reads, by section. */
export const notifierConfigSpec = {
  process: ProcessConfig,
  nats: NatsConfig,
  cassandra: CassandraConfig,
  redis: RedisConfig,
};
