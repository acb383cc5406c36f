import { Body, Controller, Delete, HttpCode, Inject, Param, Put, UseGuards } from '@nestjs/common';
import { UserCommandHandler } from '#libs/nats';
import { pushProvider, type PushToken } from '#libs/events';
import { CLOCK, type Clock } from '#libs/platform';
import { CurrentDevice, DeviceAuthGuard } from '../auth/device-auth.guard.js';
import type { DeviceIdentity } from '../auth/token.service.js';
import { ApiError, accepted } from '../http/api-error.js';
import { validateDto } from '../http/validate-body.js';
import { ApnsTokenDto, FcmTokenDto, WebPushSubscriptionDto } from './notifications.dto.js';

/** The calling device's push token per provider: register (or replace) and remove. */
@Controller('v1/push-tokens')
@UseGuards(DeviceAuthGuard)
export class PushTokensController {
  constructor(
    private readonly users: UserCommandHandler,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Put(':provider')
  @HttpCode(204)
  async register(
    @CurrentDevice() me: DeviceIdentity,
    @Param('provider') provider: string,
    @Body() body: unknown,
  ): Promise<void> {
    accepted(
      await this.users.handle(
        me.userId,
        { type: 'RegisterPushToken', deviceId: me.deviceId, token: this.parse(provider, body) },
        { now: this.clock.now() },
      ),
    );
  }

  @Delete(':provider')
  @HttpCode(204)
  async remove(@CurrentDevice() me: DeviceIdentity, @Param('provider') provider: string): Promise<void> {
    const parsed = pushProvider.safeParse(provider);
    if (!parsed.success) throw unknownProvider(provider);
    accepted(
      await this.users.handle(
        me.userId,
        { type: 'RemovePushToken', deviceId: me.deviceId, provider: parsed.data, reason: 'device' },
        { now: this.clock.now() },
      ),
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
