import { type DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import type { LoadedConfig } from '#libs/config';
import { CassandraHealthIndicator, CassandraModule } from '#libs/cassandra';
import { NatsHealthIndicator, NatsModule } from '#libs/nats';
import { PlatformModule } from '#libs/platform';
import { ReadModelsModule } from '#libs/read-models';
import { RedisHealthIndicator, RedisModule } from '#libs/redis';
import { S3Module } from '#libs/s3';
import { AckedEntries } from './projections/acked-entries.js';
import { DeviceDirectory } from './projections/device-directory.js';
import { FanOut } from './projections/fan-out.js';
import { MediaSweeper } from './projections/media-sweeper.js';
import { LiveConversationProjection } from './projections/live-conversation-projection.js';
import { PresenceProjection } from './projections/presence.projection.js';
import { ProgressPublisher } from './projections/progress-publisher.js';
import { ProjectionRunner } from './projections/projection-runner.js';
import { UserProjection } from './projections/user.projection.js';
import { UserChangesFollower } from './projections/user-changes-follower.js';
import { UsersBarrier } from './projections/users-barrier.js';
import type { projectorConfigSpec } from './projector.config.js';
import { RetentionSweeper } from './retention/retention-sweeper.js';
import { ExpirySweeper } from './disappearing/expiry-sweeper.js';
import { MEDIA, PROJECTOR_SETTINGS, RETENTION } from './tokens.js';
import { ReportProjection } from './projections/report-projection.js';

@Module({})
export class ProjectorModule {
  static forRoot(config: LoadedConfig<typeof projectorConfigSpec>, logger: Logger): DynamicModule {
    const name = `projector-${config.process.INSTANCE_ID}`;
    return {
      module: ProjectorModule,
      imports: [
        PlatformModule.forRoot({
          service: 'projector',
          process: config.process,
          logger,
          // S3 is only the media sweeper's: projections work without it, so it is no readiness dependency.
          indicators: [NatsHealthIndicator, CassandraHealthIndicator, RedisHealthIndicator],
        }),
        NatsModule.forRoot(config.nats, name),
        CassandraModule.forRoot(config.cassandra, name),
        RedisModule.forRoot(config.redis, name),
        S3Module.forRoot(config.s3),
        ReadModelsModule,
      ],
      providers: [
        { provide: RETENTION, useValue: config.retention },
        { provide: MEDIA, useValue: config.media },
        { provide: PROJECTOR_SETTINGS, useValue: config.projector },
        UsersBarrier,
        DeviceDirectory,
        UserChangesFollower,
        ProgressPublisher,
        AckedEntries,
        FanOut,
        LiveConversationProjection,
        UserProjection,
        ReportProjection,
        PresenceProjection,
        ProjectionRunner,
        RetentionSweeper,
        MediaSweeper,
        ExpirySweeper,
      ],
    };
  }
}
