import { IsBoolean, IsIn, IsInt, Matches, Max, Min, MinLength, ValidateIf } from 'class-validator';
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

const usesTwilio = (o: { CODE_SENDER?: string }): boolean => o.CODE_SENDER === 'twilio';

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

  /**
   * log: the development sender writes the code to the log (never to a response); twilio: an SMS through
   * Twilio's Messages API (or any server speaking its shape at TWILIO_API_URL).
   */
  @IsIn(['log', 'twilio'], { message: 'log or twilio' })
  CODE_SENDER: 'log' | 'twilio' = 'log';

  @ValidateIf(usesTwilio)
  @Matches(/^AC[0-9a-zA-Z]{32}$/, { message: 'a Twilio account SID (AC and 32 characters)' })
  TWILIO_ACCOUNT_SID?: string;

  @ValidateIf(usesTwilio)
  @MinLength(16, { message: 'the Twilio auth token' })
  TWILIO_AUTH_TOKEN?: string;

  /** The sending number (E.164) or a messaging service SID (MG...). */
  @ValidateIf(usesTwilio)
  @Matches(/^(\+[1-9]\d{6,14}|MG[0-9a-zA-Z]{32})$/, {
    message: 'an E.164 number or a messaging service SID (MG...)',
  })
  TWILIO_FROM?: string;

  /** Where the Messages API is (tests point it at their fake). */
  @Matches(/^https?:\/\/[^\s/]+(:\d+)?$/, { message: 'a base URL such as https://api.twilio.com' })
  TWILIO_API_URL = 'https://api.twilio.com';

  /** Attempts after the first when the provider fails transiently (timeouts, 429, 5xx). */
  @ToInt()
  @IsInt({ message: 'retries of a failed send' })
  @Min(0, { message: 'at least 0' })
  @Max(5, { message: 'at most 5' })
  CODE_SEND_RETRIES = 2;

  @ToInt()
  @IsInt({ message: 'milliseconds one send attempt may take' })
  @Min(100, { message: 'at least 100' })
  CODE_SEND_TIMEOUT_MS = 5000;

  /** Codes sent to one phone number per hour (SMS pumping and annoyance). */
  @ToInt()
  @IsInt({ message: 'codes per phone number per hour' })
  @Min(1, { message: 'at least 1' })
  CODE_REQUESTS_PER_PHONE_PER_HOUR = 5;

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

  /** Frame cost units a device (all its sockets, on every gateway) may spend per second on average. */
  @ToInt()
  @IsInt({ message: 'frame cost units per second a device may spend on average' })
  @Min(1, { message: 'at least 1' })
  RATE_LIMIT_FRAMES_PER_SECOND = 50;

  @ToInt()
  @IsInt({ message: 'frame cost units a device may spend in a burst' })
  @Min(25, { message: 'at least 25 (the dearest frame costs up to 25 units)' })
  RATE_LIMIT_BURST = 200;

  /**
   * Inbox entries a sync pushes to a device before that device acknowledges some: a device with a large
   * backlog gets a window, then more as it acknowledges (docs/protocol.md, "Delivery").
   */
  @ToInt()
  @IsInt({ message: 'unacknowledged entries a sync pushes to one device at most' })
  @Min(10, { message: 'at least 10' })
  @Max(10_000, { message: 'at most 10000' })
  SYNC_WINDOW = 1000;

  /** How long after sending its sender may edit a message's text or caption (message.edit). */
  @ToInt()
  @IsInt({ message: 'seconds after sending that a message may be edited' })
  @Min(1, { message: 'at least 1' })
  EDIT_WINDOW_SECONDS = 15 * 60;

  /** How long after sending a message may be deleted for everyone (message.delete, forEveryone). */
  @ToInt()
  @IsInt({ message: 'seconds after sending that a message may be deleted for everyone' })
  @Min(1, { message: 'at least 1' })
  DELETE_WINDOW_SECONDS = 2 * 24 * 3600;

  /**
   * Test only: when above 0, every disappearing messages timer that is on (24h, 7d, 90d) lasts this
   * many seconds instead, so a test can watch messages expire. Leave at 0 anywhere else; the protocol
   * still accepts only the named timers.
   */
  @ToInt()
  @IsInt({ message: 'seconds every disappearing timer lasts (test only; 0: the named durations)' })
  @Min(0, { message: 'at least 0' })
  @Max(3600, { message: 'at most 3600' })
  DISAPPEARING_TEST_SECONDS = 0;
}

/**
 * Limits shared by every gateway (token buckets in Redis) and the per-gateway bounds that keep one
 * device's load from delaying another's frames. docs/protocol.md, Limits, lists what each one refuses.
 */
export class LimitsConfig {
  @ToInt()
  @IsInt({ message: 'frame cost units per second all devices of an account may spend on average' })
  @Min(1, { message: 'at least 1' })
  RATE_LIMIT_ACCOUNT_PER_SECOND = 100;

  @ToInt()
  @IsInt({ message: 'frame cost units all devices of an account may spend in a burst' })
  @Min(25, { message: 'at least 25 (the dearest frame costs up to 25 units)' })
  RATE_LIMIT_ACCOUNT_BURST = 400;

  /** A new socket beyond it closes the device's oldest one (4409), on whichever gateway it is. */
  @ToInt()
  @IsInt({ message: 'concurrent sockets per device' })
  @Min(1, { message: 'at least 1' })
  @Max(16, { message: 'at most 16' })
  MAX_SOCKETS_PER_DEVICE = 2;

  /** Frames a socket may have waiting for their turn; more are refused at once with RATE_LIMITED. */
  @ToInt()
  @IsInt({ message: 'frames a socket may have queued' })
  @Min(1, { message: 'at least 1' })
  @Max(10_000, { message: 'at most 10000' })
  MAX_QUEUED_FRAMES_PER_SOCKET = 64;

  /** Frames one gateway handles at once, over all sockets, served round-robin among the sockets. */
  @ToInt()
  @IsInt({ message: 'frames a gateway handles at once' })
  @Min(1, { message: 'at least 1' })
  @Max(100_000, { message: 'at most 100000' })
  MAX_FRAMES_IN_FLIGHT = 256;

  /** Groups created plus direct chats opened, per account per hour. */
  @ToInt()
  @IsInt({ message: 'conversations an account may create or open per hour' })
  @Min(1, { message: 'at least 1' })
  CONVERSATIONS_PER_HOUR = 100;

  @ToInt()
  @IsInt({ message: 'verification code requests per source address per hour' })
  @Min(1, { message: 'at least 1' })
  CODE_REQUESTS_PER_ADDRESS_PER_HOUR = 60;

  /** Phone numbers looked up per account (a request of 100 numbers counts 100). */
  @ToInt()
  @IsInt({
    message: 'E2E prekey bundles an account may fetch per hour (bundle fetches reveal who talks to whom)',
  })
  @Min(10, { message: 'at least 10' })
  E2E_BUNDLE_FETCHES_PER_HOUR = 600;

  @ToInt()
  @IsInt({
    message:
      "E2E prekey bundles of one user an account may fetch per hour (each takes that user's one-time keys)",
  })
  @Min(1, { message: 'at least 1' })
  E2E_BUNDLE_FETCHES_PER_TARGET_PER_HOUR = 30;

  @ToInt()
  @IsInt({ message: 'one-time prekeys of either kind below which a device is told to upload more' })
  @Min(0, { message: 'at least 0' })
  E2E_PREKEY_LOW_THRESHOLD = 10;

  @ToInt()
  @IsInt({ message: 'phone numbers an account may look up per hour' })
  @Min(100, { message: 'at least 100 (one full request)' })
  LOOKUP_PHONES_PER_HOUR = 1000;

  @ToInt()
  @IsInt({ message: 'phone numbers an account may look up per day' })
  @Min(100, { message: 'at least 100 (one full request)' })
  LOOKUP_PHONES_PER_DAY = 3000;

  @ToInt()
  @IsInt({ message: 'phone numbers looked up per source address per hour' })
  @Min(100, { message: 'at least 100 (one full request)' })
  LOOKUP_PHONES_PER_ADDRESS_PER_HOUR = 5000;

  /** Numbers a user's contact set (their uploaded address book) holds at most. */
  @ToInt()
  @IsInt({ message: 'numbers in one contact set' })
  @Min(100, { message: 'at least 100' })
  @Max(100_000, { message: 'at most 100000' })
  CONTACTS_MAX = 5000;

  @ToInt()
  @IsInt({ message: 'media upload slots an account may ask for per hour' })
  @Min(1, { message: 'at least 1' })
  MEDIA_SLOTS_PER_HOUR = 300;

  @ToInt()
  @IsInt({ message: 'device link codes an account may ask for per hour' })
  @Min(1, { message: 'at least 1' })
  LINK_CODES_PER_HOUR = 10;

  @ToInt()
  @IsInt({ message: 'token refreshes per source address per hour' })
  @Min(1, { message: 'at least 1' })
  REFRESHES_PER_ADDRESS_PER_HOUR = 600;
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

/** Profiles: what a display name gates, and the server's rules for avatar images. */
export class ProfileConfig {
  /** true: a user without a display name gets PROFILE_NAME_REQUIRED on message.send (pushes show names). */
  @ToBool()
  @IsBoolean({ message: 'true or false' })
  PROFILE_NAME_REQUIRED_TO_SEND = true;

  /** The largest avatar image in bytes (a client crops and scales before uploading). */
  @ToInt()
  @IsInt({ message: 'bytes' })
  @Min(1024, { message: 'at least 1024' })
  @Max(16 * 1024 * 1024, { message: 'at most 16 MiB' })
  PROFILE_AVATAR_MAX_BYTES = 1024 * 1024;

  /** The widest and tallest image taken as an avatar, in pixels (larger ones are refused before decoding). */
  @ToInt()
  @IsInt({ message: 'pixels' })
  @Min(64, { message: 'at least 64' })
  @Max(4096, { message: 'at most 4096' })
  PROFILE_AVATAR_MAX_PIXELS = 1024;

  /** The side of the stored avatar: the server crops to a centred square and scales down to this. */
  @ToInt()
  @IsInt({ message: 'pixels' })
  @Min(32, { message: 'at least 32' })
  @Max(4096, { message: 'at most 4096' })
  PROFILE_AVATAR_SIDE_PIXELS = 512;
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
  limits: LimitsConfig,
  media: MediaConfig,
  groups: GroupsConfig,
  presence: PresenceConfig,
  profile: ProfileConfig,
};
