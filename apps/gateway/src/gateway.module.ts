import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { Logger } from 'pino';
import type { LoadedConfig } from '#libs/config';
import { CassandraHealthIndicator, CassandraModule } from '#libs/cassandra';
import { NatsHealthIndicator, NatsModule } from '#libs/nats';
import { LOGGER, PlatformModule } from '#libs/platform';
import { ReadModelsModule } from '#libs/read-models';
import { RedisHealthIndicator, RedisModule } from '#libs/redis';
import { S3HealthIndicator, S3Module } from '#libs/s3';
import { UserRepository } from './accounts/user.repository.js';
import { AuthController } from './auth/auth.controller.js';
import { LogCodeSender } from './auth/code-sender.js';
import { DeviceAuthGuard } from './auth/device-auth.guard.js';
import { DevicesController } from './auth/devices.controller.js';
import { TokenService } from './auth/token.service.js';
import { UsersController } from './auth/users.controller.js';
import { VerificationCodeService } from './auth/verification-code.service.js';
import { ConversationRepository } from './conversations/conversation.repository.js';
import { ProjectionFloor } from './conversations/projection-floor.js';
import type { gatewayConfigSpec } from './gateway.config.js';
import { ApiErrorFilter } from './http/api-error.filter.js';
import { RouteLimits } from './http/route-limits.js';
import { MessageIdService } from './ids/message-id.service.js';
import { MediaController } from './media/media.controller.js';
import { NotificationSettingsController } from './notifications/notification-settings.controller.js';
import { PushTokensController } from './notifications/push-tokens.controller.js';
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
} from './tokens.js';
import { PresenceAccess } from './presence/presence-access.js';
import { PresenceBus } from './presence/presence-bus.js';
import { PresenceQuery } from './presence/presence-query.js';
import { PresenceTracker } from './presence/presence-tracker.js';
import { PresenceTransitions } from './presence/presence-transitions.js';
import { PresenceWatchers } from './presence/presence-watchers.js';
import { ChatGateway } from './ws/chat.gateway.js';
import { FrameRouter } from './ws/frame-router.js';
import { AckHandler } from './ws/handlers/ack.handler.js';
import { ConversationsHandler } from './ws/handlers/conversations.handler.js';
import { HeartbeatHandler } from './ws/handlers/heartbeat.handler.js';
import { HistoryHandler } from './ws/handlers/history.handler.js';
import { OpenDirectHandler } from './ws/handlers/open-direct.handler.js';
import { PingHandler } from './ws/handlers/ping.handler.js';
import { PresenceSubscribeHandler } from './ws/handlers/presence-subscribe.handler.js';
import { PrivacyGetHandler, PrivacySetHandler } from './ws/handlers/privacy.handler.js';
import { ReadHandler } from './ws/handlers/read.handler.js';
import { SendMessageHandler } from './ws/handlers/send-message.handler.js';
import { SyncHandler } from './ws/handlers/sync.handler.js';
import { SyncSessions } from './ws/sync-sessions.js';
import { TypingHandler } from './ws/handlers/typing.handler.js';
import { LiveSessions } from './ws/live-sessions.js';
import { DeviceSockets } from './ws/device-sockets.js';
import { FrameCharges } from './ws/frame-charges.js';
import { SharedRateLimiter } from './ws/rate-limiter.js';
import { SessionControl } from './ws/session-control.js';
import { CreateGroupHandler } from './ws/handlers/groups/create-group.handler.js';
import {
  GroupInfoHandler,
  UpdateInfoHandler,
  UpdateSettingsHandler,
} from './ws/handlers/groups/group-info.handlers.js';
import {
  AddMembersHandler,
  DemoteHandler,
  LeaveGroupHandler,
  PromoteHandler,
  RemoveMemberHandler,
} from './ws/handlers/groups/group-membership.handlers.js';
import { MessageInfoHandler } from './ws/handlers/groups/message-info.handler.js';
import { ReplyPrivatelyHandler } from './ws/handlers/groups/reply-privately.handler.js';
import { GroupHandlers } from './ws/handlers/groups/group-handlers.js';

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
      ],
      controllers: [
        AuthController,
        DevicesController,
        UsersController,
        MediaController,
        PushTokensController,
        NotificationSettingsController,
      ],
      providers: [
        { provide: AUTH_CONFIG, useValue: config.auth },
        { provide: MESSAGING_CONFIG, useValue: config.messaging },
        { provide: LIMITS_CONFIG, useValue: config.limits },
        { provide: MEDIA_CONFIG, useValue: config.media },
        { provide: GROUPS_CONFIG, useValue: config.groups },
        { provide: PRESENCE_CONFIG, useValue: config.presence },
        { provide: CODE_SENDER, inject: [LOGGER], useFactory: (log: Logger) => new LogCodeSender(log) },
        { provide: APP_FILTER, useClass: ApiErrorFilter },
        TokenService,
        SharedRateLimiter,
        RouteLimits,
        FrameCharges,
        SessionControl,
        DeviceSockets,
        VerificationCodeService,
        DeviceAuthGuard,
        UserRepository,
        ConversationRepository,
        ProjectionFloor,
        MessageIdService,
        MediaService,
        LiveSessions,
        SyncHandler,
        SyncSessions,
        SendMessageHandler,
        AckHandler,
        ReadHandler,
        HistoryHandler,
        ConversationsHandler,
        OpenDirectHandler,
        PingHandler,
        GroupCommands,
        CreateGroupHandler,
        AddMembersHandler,
        RemoveMemberHandler,
        LeaveGroupHandler,
        PromoteHandler,
        DemoteHandler,
        UpdateInfoHandler,
        UpdateSettingsHandler,
        GroupInfoHandler,
        MessageInfoHandler,
        ReplyPrivatelyHandler,
        GroupHandlers,
        PresenceBus,
        PresenceTransitions,
        PresenceTracker,
        PresenceAccess,
        PresenceQuery,
        PresenceWatchers,
        HeartbeatHandler,
        PresenceSubscribeHandler,
        TypingHandler,
        PrivacyGetHandler,
        PrivacySetHandler,
        FrameRouter,
        ChatGateway,
      ],
    };
  }
}
