import { type DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import type { LoadedConfig } from '#libs/config';
import { CassandraHealthIndicator, CassandraModule } from '#libs/cassandra';
import { NatsHealthIndicator, NatsModule } from '#libs/nats';
import { PlatformModule } from '#libs/platform';
import { RedisHealthIndicator, RedisModule } from '#libs/redis';
import type { notifierConfigSpec } from './notifier.config.js';

@Module({})
export class NotifierModule {
  static forRoot(config: LoadedConfig<typeof notifierConfigSpec>, logger: Logger): DynamicModule {
    const name = `notifier-${config.process.INSTANCE_ID}`;
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
      ],
    };
  }
}
