import { Body, Controller, Delete, HttpCode, Param, Put, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { CurrentDevice, DeviceAuthGuard } from '../auth/device-auth.guard.js';
import type { DeviceIdentity } from '../auth/token.service.js';
import { ApiError } from '../http/api-error.js';
import { validateDto } from '../http/validate-body.js';
import { MuteDto, PreviewDto } from './notifications.dto.js';
import { DecideUserCommand } from '../aggregates/decide-user.handler.js';

const CONVERSATION_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The user's notification settings: preview shown or hidden, muted conversations. */
@Controller('v1/notification-settings')
@UseGuards(DeviceAuthGuard)
export class NotificationSettingsController {
  constructor(private readonly commands: CommandBus) {}

  @Put('preview')
  @HttpCode(204)
  async preview(@CurrentDevice() me: DeviceIdentity, @Body() body: unknown): Promise<void> {
    const { preview } = validateDto(PreviewDto, body);
    await this.commands.execute(
      new DecideUserCommand(me.userId, { type: 'SetNotificationPreview', preview }),
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
    await this.commands.execute(
      new DecideUserCommand(me.userId, {
        type: 'MuteConversation',
        conversationId,
        ...(until ? { until: new Date(until) } : {}),
      }),
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
    await this.commands.execute(
      new DecideUserCommand(me.userId, { type: 'UnmuteConversation', conversationId }),
    );
  }
}
