import { IsBoolean, IsIn, IsInt, Max, Min, MinLength } from 'class-validator';
import {
  CassandraConfig,
  MediaConfig,
  NatsConfig,
  ProcessConfig,
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

/** Every environment variable the gateway reads, by section. */
export const gatewayConfigSpec = {
  process: ProcessConfig,
  nats: NatsConfig,
  cassandra: CassandraConfig,
  redis: RedisConfig,
  s3: S3Config,
  auth: AuthConfig,
  messaging: MessagingConfig,
  media: MediaConfig,
  groups: GroupsConfig,
};
