import {
  CassandraConfig,
  MediaConfig,
  NatsConfig,
  ProcessConfig,
  RedisConfig,
  RetentionConfig,
  S3Config,
} from '#libs/config';

/** Every environment variable the projector reads, by section. */
export const projectorConfigSpec = {
  process: ProcessConfig,
  nats: NatsConfig,
  cassandra: CassandraConfig,
  redis: RedisConfig,
  retention: RetentionConfig,
  s3: S3Config,
  media: MediaConfig,
};
