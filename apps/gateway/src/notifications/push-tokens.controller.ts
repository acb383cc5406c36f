import { Body, Controller, Delete, HttpCode, Param, Put, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { pushProvider, type PushToken } from '#libs/events';
import { CurrentDevice, DeviceAuthGuard } from '../auth/device-auth.guard.js';
import type { DeviceIdentity } from '../auth/token.service.js';
import { ApiError } from '../http/api-error.js';
import { validateDto } from '../http/validate-body.js';
import { ApnsTokenDto, FcmTokenDto, WebPushSubscriptionDto } from './notifications.dto.js';
import { DecideUserCommand } from '../aggregates/decide-user.handler.js';

/** The calling device's push token per provider: register (or replace) and remove. */
@Controller('v1/push-tokens')
@UseGuards(DeviceAuthGuard)
export class PushTokensController {
  constructor(private readonly commands: CommandBus) {}

  @Put(':provider')
  @HttpCode(204)
  async register(
    @CurrentDevice() me: DeviceIdentity,
    @Param('provider') provider: string,
    @Body() body: unknown,
  ): Promise<void> {
    await this.commands.execute(
      new DecideUserCommand(me.userId, {
        type: 'RegisterPushToken',
        deviceId: me.deviceId,
        token: this.parse(provider, body),
      }),
    );
  }

  @Delete(':provider')
  @HttpCode(204)
  async remove(@CurrentDevice() me: DeviceIdentity, @Param('provider') provider: string): Promise<void> {
    const parsed = pushProvider.safeParse(provider);
    if (!parsed.success) throw unknownProvider(provider);
    await this.commands.execute(
      new DecideUserCommand(me.userId, {
        type: 'RemovePushToken',
        deviceId: me.deviceId,
        provider: parsed.data,
        reason: 'device',
      }),
    );
  }

  private parse(provider: string, body: unknown): PushToken {
    switch (provider) {
      case 'fcm':
        return { provider, token: validateDto(FcmTokenDto, body).token };
      case 'apns': {
        const dto = validateDto(ApnsTokenDto, body);
        return { provider, token: dto.token, environment: dto.environment };
      }
      case 'webpush': {
        const dto = validateDto(WebPushSubscriptionDto, body);
        return { provider, endpoint: dto.endpoint, p256dh: dto.keys.p256dh, auth: dto.keys.auth };
      }
      default:
        throw unknownProvider(provider);
    }
  }
}

function unknownProvider(provider: string): ApiError {
  return new ApiError('NOT_FOUND', `no push provider "${provider.slice(0, 32)}": fcm, apns or webpush`);
}
