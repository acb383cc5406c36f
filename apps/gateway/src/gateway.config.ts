import { IsBoolean, IsIn, IsInt, Max, Min, MinLength } from 'class-validator';
import {
  CassandraConfig,
  MediaConfig,
  NatsConfig,
  processConfigFor,
  PublicHttpConfig,
  RedisConfig,
  S3Config,
  ToBool,
  ToInt,
} from '#libs/config';

export class AuthConfig {
  /** HS256 key of access tokens; at least 32 characters. */
  @MinLength(32, { message: 'a secret of at least 32 characters' })
  JWT_SECRET!: string;

  /** Keys the phone-number -> user-id mapping; changing it changes every user id. */
  @MinLength(32, { message: 'a secret of at least 32 characters' })
  PHONE_HASH_SECRET!: string;

  @ToInt()
  @IsInt({ message: 'seconds an access token lives' })
  @Min(30, { message: 'at least 30 seconds' })
  ACCESS_TOKEN_TTL_SECONDS = 900;

  @ToInt()
  @IsInt({ message: 'seconds a refresh token lives' })
  @Min(60, { message: 'at least 60 seconds' })
  REFRESH_TOKEN_TTL_SECONDS = 30 * 86_400;

  @ToInt()
  @IsInt({ message: 'seconds a verification or link code lives' })
  @Min(30, { message: 'at least 30 seconds' })
  VERIFICATION_CODE_TTL_SECONDS = 300;

  @ToInt()
  @IsInt({ message: 'wrong guesses allowed per code' })
  @Min(1, { message: 'at least 1' })
  VERIFICATION_MAX_ATTEMPTS = 5;

  /** log: the development sender writes the code to the log (never to a response). */
  @IsIn(['log'], { message: 'log (the only sender so far)' })
  CODE_SENDER = 'log' as const;

  @ToInt()
  @IsInt({ message: 'linked devices per account besides the phone' })
  @Min(0, { message: 'at least 0' })
  @Max(16, { message: 'at most 16' })
  MAX_LINKED_DEVICES = 4;
}

export class MessagingConfig {
  @ToInt()
  @IsInt({ message: 'the longest message text in characters' })
  @Min(1, { message: 'at least 1' })
  @Max(65_536, { message: 'at most 65536' })
  MAX_MESSAGE_CHARS = 4096;

  @ToInt()
  @IsInt({ message: 'frames per second a device may send on average' })
  @Min(1, { message: 'at least 1' })
  RATE_LIMIT_FRAMES_PER_SECOND = 100;

  @ToInt()
  @IsInt({ message: 'frames a device may send in a burst' })
  @Min(1, { message: 'at least 1' })
  RATE_LIMIT_BURST = 200;
}

export class GroupsConfig {
  /** Members a group may have, its creator included; adding beyond it fails with GROUP_FULL. */
  @ToInt()
  @IsInt({ message: 'the most members a group may have' })
  @Min(2, { message: 'at least 2' })
  @Max(100_000, { message: 'at most 100000' })
  GROUP_MAX_MEMBERS = 1024;

  /** true: a member added later sees the group's history only from joining; false: all of it. */
  @ToBool()
  @IsBoolean({ message: 'true or false' })
  GROUP_HISTORY_FROM_JOIN = true;
}

/**
 * Presence timing. A device is online while its last activity (connect, heartbeat or any frame) is
 * younger than the threshold; heartbeats are batched per gateway into one Redis script call per flush.
 */
export class PresenceConfig {
  @ToInt()
  @IsInt({ message: 'milliseconds between heartbeats a client should send' })
  @Min(100, { message: 'at least 100' })
  PRESENCE_HEARTBEAT_INTERVAL_MS = 5000;

  @ToInt()
  @IsInt({ message: 'milliseconds without activity after which a device is offline' })
  @Min(200, { message: 'at least 200' })
  PRESENCE_ONLINE_THRESHOLD_MS = 15_000;

  @ToInt()
  @IsInt({ message: 'milliseconds between two writes of the heartbeats collected meanwhile' })
  @Min(10, { message: 'at least 10' })
  PRESENCE_FLUSH_INTERVAL_MS = 500;

  @ToInt()
  @IsInt({ message: 'milliseconds between two sweeps for devices past their deadline' })
  @Min(50, { message: 'at least 50' })
  PRESENCE_SWEEP_INTERVAL_MS = 1000;

  @ToInt()
  @IsInt({ message: 'extra milliseconds the Redis connection registry keeps a silent device' })
  @Min(0, { message: 'at least 0' })
  PRESENCE_REGISTRY_TTL_MS = 30_000;

  @ToInt()
  @IsInt({ message: 'milliseconds a privacy setting or contact list is cached by a gateway' })
  @Min(0, { message: 'at least 0' })
  PRESENCE_PRIVACY_CACHE_MS = 2000;

  @ToInt()
  @IsInt({ message: 'milliseconds after which a receiver drops a typing indicator that was not refreshed' })
  @Min(500, { message: 'at least 500' })
  TYPING_TTL_MS = 6000;

  @ToInt()
  @IsInt({ message: 'typing frames per second a device may send on average' })
  @Min(1, { message: 'at least 1' })
  TYPING_RATE_PER_SECOND = 2;

  @ToInt()
  @IsInt({ message: 'typing frames a device may send in a burst' })
  @Min(1, { message: 'at least 1' })
  TYPING_BURST = 5;
}

/** Every environment variable the gateway reads, by section. */
export const gatewayConfigSpec = {
  process: processConfigFor({ managementPort: 3100 }),
  http: PublicHttpConfig,
  nats: NatsConfig,
  cassandra: CassandraConfig,
  redis: RedisConfig,
  s3: S3Config,
  auth: AuthConfig,
  messaging: MessagingConfig,
  media: MediaConfig,
  groups: GroupsConfig,
  presence: PresenceConfig,
};
