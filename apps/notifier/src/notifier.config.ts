import { CassandraConfig, NatsConfig, processConfigFor, RedisConfig } from '#libs/config';
import { ApnsConfig, FcmConfig, PushPolicyConfig, WebPushConfig } from './push.config.js';

/** Every environment variable the notifier reads, by section. */
export const notifierConfigSpec = {
  process: processConfigFor({ managementPort: 3102 }),
  nats: NatsConfig,
  cassandra: CassandraConfig,
  redis: RedisConfig,
  push: PushPolicyConfig,
  fcm: FcmConfig,
  apns: ApnsConfig,
  webpush: WebPushConfig,
};

export type NotifierConfig = import('#libs/config').LoadedConfig<typeof notifierConfigSpec>;
