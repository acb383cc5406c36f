import { IsInt, Max, Min } from 'class-validator';
import {
  CassandraConfig,
  MediaConfig,
  NatsConfig,
  processConfigFor,
  RedisConfig,
  RetentionConfig,
  S3Config,
  ToInt,
} from '#libs/config';

/** How the projector treats an event its handler fails on (docs/operations.md, "Poison event"). */
export class ProjectorConfig {
  /** Attempts before the event is parked on chat.dlq.<durable>. */
  @ToInt()
  @IsInt({ message: 'the number of attempts before an event is dead-lettered' })
  @Min(1, { message: 'at least 1 attempt' })
  @Max(100, { message: 'at most 100 attempts' })
  PROJECTOR_MAX_ATTEMPTS = 5;

  /** First retry delay; it doubles per attempt, capped at 5 s. */
  @ToInt()
  @IsInt({ message: 'the first retry delay in milliseconds' })
  @Min(1, { message: 'at least 1 ms' })
  @Max(60_000, { message: 'at most 60000 ms' })
  PROJECTOR_RETRY_BACKOFF_MS = 200;
}

/** Every environment variable the projector reads, by section. */
export const projectorConfigSpec = {
  process: processConfigFor({ managementPort: 3101 }),
  nats: NatsConfig,
  cassandra: CassandraConfig,
  redis: RedisConfig,
  retention: RetentionConfig,
  s3: S3Config,
  media: MediaConfig,
  projector: ProjectorConfig,
};
