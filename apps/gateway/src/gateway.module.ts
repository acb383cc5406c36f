import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import type { Logger } from 'pino';
import type { LoadedConfig } from '#libs/config';
import { CassandraHealthIndicator, CassandraModule } from '#libs/cassandra';
import { NatsHealthIndicator, NatsModule } from '#libs/nats';
import { LOGGER, PlatformModule } from '#libs/platform';
import { ReadModelsModule } from '#libs/read-models';
import { RedisHealthIndicator, RedisModule } from '#libs/redis';
import { S3HealthIndicator, S3Module } from '#libs/s3';
import { AuthController } from './auth/auth.controller.js';
import { codeSenderFor } from './auth/code-sender.js';
import { DeviceAuthGuard } from './auth/device-auth.guard.js';
import { DevicesController } from './auth/devices.controller.js';
import { TokenService } from './auth/token.service.js';
import { UsersController } from './auth/users.controller.js';
import { VerificationCodeService } from './auth/verification-code.service.js';
import { MessageRefs } from './conversations/message-refs.js';
import { AckFlusher } from './ws/ack-flusher.js';
import { MembershipCache } from './conversations/membership-cache.js';
import { ProjectionFloor } from './conversations/projection-floor.js';
import type { gatewayConfigSpec } from './gateway.config.js';
import { ApiErrorFilter } from './http/api-error.filter.js';
import { RouteLimits } from './http/route-limits.js';
import { MessageIdService } from './ids/message-id.service.js';
import { MediaController } from './media/media.controller.js';
import { NotificationSettingsController } from './notifications/notification-settings.controller.js';
import { PushTokensController } from './notifications/push-tokens.controller.js';
import { KeysController } from './e2e/keys.controller.js';
import { KeyDirectory } from './e2e/key-directory.js';
import { E2eDevices } from './e2e/e2e-devices.js';
import { E2eContent } from './e2e/e2e-content.js';
import { PrekeyNotices } from './e2e/prekey-notices.js';
import { SecurityCodeNotices } from './e2e/security-code-notices.js';
import { MediaService } from './media/media.service.js';
import { GroupCommands } from './groups/group-commands.js';
import {
  AUTH_CONFIG,
  CODE_SENDER,
  GROUPS_CONFIG,
  LIMITS_CONFIG,
  MEDIA_CONFIG,
  MESSAGING_CONFIG,
  PRESENCE_CONFIG,
  PROFILE_CONFIG,
} from './tokens.js';
import { PresenceAccess } from './presence/presence-access.js';
import { PresenceBus } from './presence/presence-bus.js';
import { PresenceQuery } from './presence/presence-query.js';
import { PresenceTracker } from './presence/presence-tracker.js';
import { PresenceTransitions } from './presence/presence-transitions.js';
import { PresenceWatchers } from './presence/presence-watchers.js';
import { AppendedEventsPublisher } from './aggregates/appended-events.js';
import { AvatarIntake } from './profiles/avatar-intake.js';
import { ContactsController } from './contacts/contacts.controller.js';
import { ProfileGate } from './profiles/profile-gate.js';
import { BlockDirectory } from './safety/block-directory.js';
import { ReportEvidence } from './safety/report-evidence.js';
import { PhoneAccounts } from './auth/phone-accounts.js';
import { AccountDeletion } from './safety/account-deletion.js';
import { MeController } from './auth/me.controller.js';
import { ProfileLive } from './profiles/profile-live.js';
import { ProfileViews } from './profiles/profile-views.js';
import { ChatGateway } from './ws/chat.gateway.js';
import { FrameRouter } from './ws/frame-router.js';
import { loadCqrsHandlers } from './cqrs-handlers.loader.js';
import { SyncSessions } from './ws/sync-sessions.js';
import { LiveProgress } from './ws/live-progress.js';
import { LiveFeedGaps } from './ws/live-feed-gaps.js';
import { LiveSessions } from './ws/live-sessions.js';
import { DeviceSockets } from './ws/device-sockets.js';
import { FrameCharges } from './ws/frame-charges.js';
import { SharedRateLimiter } from './ws/rate-limiter.js';
import { SessionControl } from './ws/session-control.js';

/** The command, query and event handlers: every `…Handler` export of a `*.handler.ts` file. */
const cqrsHandlers = await loadCqrsHandlers();

/** The composition root of the gateway: infrastructure, then services, then the HTTP and WebSocket edges. */
@Module({})
export class GatewayModule {
  static forRoot(config: LoadedConfig<typeof gatewayConfigSpec>, logger: Logger): DynamicModule {
    const name = `gateway-${config.process.INSTANCE_ID}`;
    return {
      module: GatewayModule,
      imports: [
        PlatformModule.forRoot({
          service: 'gateway',
          process: config.process,
          logger,
          indicators: [
            NatsHealthIndicator,
            CassandraHealthIndicator,
            RedisHealthIndicator,
            S3HealthIndicator,
          ],
        }),
        NatsModule.forRoot(config.nats, name),
        CassandraModule.forRoot(config.cassandra, name),
        RedisModule.forRoot(config.redis, name),
        S3Module.forRoot(config.s3),
        ReadModelsModule,
        CqrsModule.forRoot(),
      ],
      controllers: [
        AuthController,
        DevicesController,
        UsersController,
        ContactsController,
        MeController,
        MediaController,
        PushTokensController,
        NotificationSettingsController,
        KeysController,
      ],
      providers: [
        { provide: AUTH_CONFIG, useValue: config.auth },
        { provide: MESSAGING_CONFIG, useValue: config.messaging },
        { provide: LIMITS_CONFIG, useValue: config.limits },
        { provide: MEDIA_CONFIG, useValue: config.media },
        { provide: GROUPS_CONFIG, useValue: config.groups },
        { provide: PRESENCE_CONFIG, useValue: config.presence },
        { provide: PROFILE_CONFIG, useValue: config.profile },
        {
          provide: CODE_SENDER,
          inject: [LOGGER],
          useFactory: (log: Logger) => codeSenderFor(config.auth, log),
        },
        { provide: APP_FILTER, useClass: ApiErrorFilter },
        TokenService,
        SharedRateLimiter,
        RouteLimits,
        FrameCharges,
        SessionControl,
        DeviceSockets,
        VerificationCodeService,
        DeviceAuthGuard,
        ProjectionFloor,
        MessageRefs,
        AckFlusher,
        MembershipCache,
        MessageIdService,
        MediaService,
        LiveProgress,
        LiveSessions,
        LiveFeedGaps,
        SyncSessions,
        E2eDevices,
        E2eContent,
        KeyDirectory,
        PrekeyNotices,
        SecurityCodeNotices,
        GroupCommands,
        PresenceBus,
        PresenceTransitions,
        PresenceTracker,
        PresenceAccess,
        PresenceQuery,
        PresenceWatchers,
        AppendedEventsPublisher,
        AvatarIntake,
        ProfileViews,
        ProfileLive,
        ProfileGate,
        BlockDirectory,
        ReportEvidence,
        PhoneAccounts,
        AccountDeletion,
        ...cqrsHandlers,
        FrameRouter,
        ChatGateway,
      ],
    };
  }
}
