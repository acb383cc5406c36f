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

  /**
   * How long a projector's lease on a stream partition lasts without renewal (renewed every quarter of
   * it): a projector that dies hands its partitions over after at most this plus a quarter. It is the
   * lease bucket's max age, set by the projector that creates the bucket; the others follow the bucket.
   */
  @ToInt()
  @IsInt({ message: 'the partition lease time to live in milliseconds' })
  @Min(1000, { message: 'at least 1000 ms' })
  @Max(60_000, { message: 'at most 60000 ms' })
  PROJECTOR_LEASE_TTL_MS = 5000;

  /**
   * Test only: a pause between an event's live publish and its persistence, so a test can kill the
   * projector or connect a device in between. Leave at 0 anywhere else.
   */
  @ToInt()
  @IsInt({ message: 'a pause in milliseconds (test only)' })
  @Min(0, { message: 'at least 0 ms' })
  @Max(60_000, { message: 'at most 60000 ms' })
  PROJECTOR_TEST_PERSIST_DELAY_MS = 0;

  /**
   * How often the disappearing messages sweeper looks for messages whose time ran out (issue 19): a
   * message is gone within about this long after its expiry.
   */
  @ToInt()
  @IsInt({ message: 'milliseconds between two disappearing messages sweeps' })
  @Min(100, { message: 'at least 100 ms' })
  @Max(60_000, { message: 'at most 60000 ms' })
  DISAPPEARING_SWEEP_INTERVAL_MS = 1000;

  /** Distinct accounts reporting one user within the window that flag the user in metrics (issue 18). */
  @ToInt()
  @IsInt({ message: 'the number of distinct reporters that flags a user' })
  @Min(1, { message: 'at least 1' })
  @Max(1_000_000, { message: 'at most 1000000' })
  REPORT_FLAG_THRESHOLD = 5;

  /** The window, in seconds, in which those reports count. */
  @ToInt()
  @IsInt({ message: 'a window in seconds' })
  @Min(60, { message: 'at least 60 s' })
  @Max(90 * 86_400, { message: 'at most 90 days' })
  REPORT_FLAG_WINDOW_SECONDS = 86_400;
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
