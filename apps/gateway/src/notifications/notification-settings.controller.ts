import { Body, Controller, Delete, HttpCode, Inject, Param, Put, UseGuards } from '@nestjs/common';
import { UserCommandHandler } from '#libs/nats';
import { CLOCK, type Clock } from '#libs/platform';
import { CurrentDevice, DeviceAuthGuard } from '../auth/device-auth.guard.js';
import type { DeviceIdentity } from '../auth/token.service.js';
import { ApiError, accepted } from '../http/api-error.js';
import { validateDto } from '../http/validate-body.js';
import { MuteDto, PreviewDto } from './notifications.dto.js';

const CONVERSATION_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The user's notification settings: preview shown or hidden, muted conversations. */
@Controller('v1/notification-settings')
@UseGuards(DeviceAuthGuard)
export class NotificationSettingsController {
  constructor(
    private readonly users: UserCommandHandler,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Put('preview')
  @HttpCode(204)
  async preview(@CurrentDevice() me: DeviceIdentity, @Body() body: unknown): Promise<void> {
    const { preview } = validateDto(PreviewDto, body);
    accepted(
      await this.users.handle(
        me.userId,
        { type: 'SetNotificationPreview', preview },
        { now: this.clock.now() },
      ),
    );
  }

  @Put('mutes/:conversationId')
  @HttpCode(204)
  async mute(
    @CurrentDevice() me: DeviceIdentity,
    @Param('conversationId') conversationId: string,
    @Body() body: unknown,
  ): Promise<void> {
    if (!CONVERSATION_ID.test(conversationId))
      throw new ApiError('VALIDATION_FAILED', 'conversationId: not a conversation id');
    const { until } = validateDto(MuteDto, body ?? {});
    accepted(
      await this.users.handle(
        me.userId,
        { type: 'MuteConversation', conversationId, ...(until ? { until: new Date(until) } : {}) },
        { now: this.clock.now() },
      ),
    );
  }

  @Delete('mutes/:conversationId')
  @HttpCode(204)
  async unmute(
    @CurrentDevice() me: DeviceIdentity,
    @Param('conversationId') conversationId: string,
  ): Promise<void> {
    if (!CONVERSATION_ID.test(conversationId))
      throw new ApiError('VALIDATION_FAILED', 'conversationId: not a conversation id');
    accepted(
      await this.users.handle(
        me.userId,
        { type: 'UnmuteConversation', conversationId },
        { now: this.clock.now() },
      ),
    );
  }
}
