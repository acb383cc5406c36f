import { randomInt } from 'node:crypto';
import { Controller, Delete, Get, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { Redis } from 'ioredis';
import { primaryDevice } from '#libs/domain';
import { LiveDeliveryBus, UserCommandHandler } from '#libs/nats';
import { REDIS } from '#libs/redis';
import { E2eKeyStore } from '#libs/read-models';
import { ApiError } from '../http/api-error.js';
import { RouteLimits } from '../http/route-limits.js';
import type { AuthConfig } from '../gateway.config.js';
import { AUTH_CONFIG } from '../tokens.js';
import { CurrentDevice, DeviceAuthGuard } from './device-auth.guard.js';
import { TokenService, type DeviceIdentity } from './token.service.js';
import { DecideUserCommand } from '../aggregates/decide-user.handler.js';

const LINK_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A user's devices: list, link codes from the phone, removal. */
@Controller('v1/devices')
@UseGuards(DeviceAuthGuard)
export class DevicesController {
  constructor(
    private readonly users: UserCommandHandler,
    private readonly commands: CommandBus,
    private readonly tokens: TokenService,
    private readonly live: LiveDeliveryBus,
    private readonly limits: RouteLimits,
    @Inject(AUTH_CONFIG) private readonly config: Readonly<AuthConfig>,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly e2eKeys: E2eKeyStore,
  ) {}

  @Get()
  async list(
    @CurrentDevice() me: DeviceIdentity,
  ): Promise<{ devices: Array<{ deviceId: string; kind: string; name: string; addedAt: string }> }> {
    const { state } = await this.users.load(me.userId);
    if (state.status !== 'active') throw new ApiError('NOT_FOUND', 'no such user');
    return {
      devices: [...state.devices.values()].map((d) => ({
        deviceId: d.deviceId,
        kind: d.kind,
        name: d.name,
        addedAt: d.addedAt,
      })),
    };
  }

  @Post('link-code')
  @HttpCode(200)
  async linkCode(@CurrentDevice() me: DeviceIdentity): Promise<{ code: string; expiresInSeconds: number }> {
    const { state } = await this.users.load(me.userId);
    if (primaryDevice(state)?.deviceId !== me.deviceId)
      throw new ApiError('FORBIDDEN', 'only the primary device links new devices');
    await this.limits.linkCode(me.userId);
    const code = Array.from({ length: 8 }, () => LINK_ALPHABET[randomInt(LINK_ALPHABET.length)]).join('');
    const ttl = this.config.VERIFICATION_CODE_TTL_SECONDS;
    await this.redis.set(`link:${code}`, me.userId, 'EX', ttl);
    return { code, expiresInSeconds: ttl };
  }

  @Delete(':deviceId')
  @HttpCode(204)
  async remove(@CurrentDevice() me: DeviceIdentity, @Param('deviceId') deviceId: string): Promise<void> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(deviceId))
      throw new ApiError('VALIDATION_FAILED', 'deviceId: not a device id');
    await this.commands.execute(
      new DecideUserCommand(me.userId, { type: 'RemoveDevice', deviceId, requestedBy: me.deviceId }),
    );
    await this.tokens.revokeDevice({ userId: me.userId, deviceId });
    // Close its sockets now, wherever they are; the projector drops its inbox.
    this.live.revoke(me.userId, [deviceId]);
    // Its E2E keys are no longer handed out (E2E sends stop expecting it as soon as it is removed).
    await this.e2eKeys.removeDevice(me.userId, deviceId);
  }
}
