import { type DynamicModule, Module } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { PushProvider } from '#libs/events';
import { CassandraHealthIndicator, CassandraModule } from '#libs/cassandra';
import { NatsHealthIndicator, NatsModule } from '#libs/nats';
import { PlatformModule } from '#libs/platform';
import { ReadModelsModule } from '#libs/read-models';
import { REDIS, RedisHealthIndicator, RedisModule } from '#libs/redis';
import { DeliveryNoticesListener } from './delivery/delivery-notices-listener.js';
import { RedisDeviceConnectivity } from './delivery/device-connectivity.js';
import { PushDispatcher } from './delivery/push-dispatcher.js';
import { PushLedger } from './delivery/push-ledger.js';
import { PushTokenRemover } from './delivery/push-token-remover.js';
import { RecentAcks } from './delivery/recent-acks.js';
import { PushDirectory } from './directory/push-directory.js';
import { UsersFollower } from './directory/users-follower.js';
import { ConversationMembers } from './messages/conversation-members.js';
import { MessageNotifier } from './messages/message-notifier.js';
import { NotifierRunner } from './messages/notifier-runner.js';
import type { NotifierConfig } from './notifier.config.js';
import { ApnsSender } from './senders/apns.sender.js';
import { FcmSender } from './senders/fcm.sender.js';
import type { PushSender } from './senders/push-sender.js';
import { WebPushSender } from './senders/webpush.sender.js';
import { DEVICE_CONNECTIVITY, PUSH_POLICY, PUSH_SENDERS } from './tokens.js';

@Module({})
export class NotifierModule {
  static forRoot(config: NotifierConfig, logger: Logger): DynamicModule {
    const name = `notifier-${config.process.INSTANCE_ID}`;
    const timeout = config.push.PUSH_REQUEST_TIMEOUT_MS;
    const senders = new Map<PushProvider, PushSender>([
      ['fcm', new FcmSender(config.fcm, timeout) as PushSender],
      ['apns', new ApnsSender(config.apns, timeout) as PushSender],
      ['webpush', new WebPushSender(config.webpush, timeout) as PushSender],
    ]);
    logger.info(
      { providers: [...senders.values()].filter((s) => s.enabled).map((s) => s.provider) },
      'push providers configured',
    );
    return {
      module: NotifierModule,
      imports: [
        PlatformModule.forRoot({
          service: 'notifier',
          process: config.process,
          logger,
          indicators: [NatsHealthIndicator, CassandraHealthIndicator, RedisHealthIndicator],
        }),
        NatsModule.forRoot(config.nats, name),
        CassandraModule.forRoot(config.cassandra, name),
        RedisModule.forRoot(config.redis, name),
        ReadModelsModule,
      ],
      providers: [
        { provide: PUSH_POLICY, useValue: config.push },
        { provide: PUSH_SENDERS, useValue: senders },
        {
          provide: DEVICE_CONNECTIVITY,
          inject: [REDIS],
          useFactory: (redis: Redis) =>
            new RedisDeviceConnectivity(redis, config.push.PUSH_ONLINE_THRESHOLD_MS),
        },
        {
          provide: PushLedger,
          inject: [REDIS],
          useFactory: (redis: Redis) =>
            new PushLedger(redis, {
              leaseMs: config.push.PUSH_CLAIM_LEASE_MS,
              doneTtlSeconds: config.push.PUSH_DEDUPE_TTL_SECONDS,
              collapseWindowMs: config.push.PUSH_COLLAPSE_WINDOW_MS,
            }),
        },
        // Acks older than the grace period (and a margin) are of no use to a push decision.
        { provide: RecentAcks, useValue: new RecentAcks(Math.max(10_000, 2 * config.push.PUSH_GRACE_MS)) },
        PushDirectory,
        UsersFollower,
        DeliveryNoticesListener,
        ConversationMembers,
        PushTokenRemover,
        PushDispatcher,
        MessageNotifier,
        NotifierRunner,
      ],
    };
  }
}
