import { randomBytes } from 'node:crypto';
import { Body, Controller, HttpCode, Inject, Ip, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { Redis } from 'ioredis';
import { checkDisplayName } from '#libs/domain';
import { REDIS } from '#libs/redis';
import { ApiError } from '../http/api-error.js';
import { RouteLimits } from '../http/route-limits.js';
import { validateDto } from '../http/validate-body.js';
import type { AuthConfig } from '../gateway.config.js';
import { AUTH_CONFIG } from '../tokens.js';
import { LinkDeviceDto, RefreshDto, RequestCodeDto, VerifyCodeDto } from './auth.dto.js';
import { TokenService, type TokenPair } from './token.service.js';
import { PhoneAccounts } from './phone-accounts.js';
import { VerificationCodeService } from './verification-code.service.js';
import { DecideUserCommand } from '../aggregates/decide-user.handler.js';

export const newDeviceId = (): string => `d${randomBytes(9).toString('base64url').replace(/[-_]/g, 'x')}`;

/** Sign-in by phone number, token refresh, and linking a new device with a code from the phone. */
@Controller('v1/auth')
export class AuthController {
  constructor(
    private readonly codes: VerificationCodeService,
    private readonly tokens: TokenService,
    private readonly commands: CommandBus,
    private readonly limits: RouteLimits,
    private readonly accounts: PhoneAccounts,
    @Inject(AUTH_CONFIG) private readonly config: Readonly<AuthConfig>,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  @Post('code')
  @HttpCode(202)
  async requestCode(@Body() body: unknown, @Ip() ip: string): Promise<{ expiresInSeconds: number }> {
    const { phone } = validateDto(RequestCodeDto, body);
    await this.limits.codeRequest(ip);
    return this.codes.request(phone);
  }

  @Post('verify')
  @HttpCode(200)
  async verify(@Body() body: unknown): Promise<TokenPair> {
    const dto = validateDto(VerifyCodeDto, body);
    // Checked before the code is spent: a bad name must not cost the user a new code.
    const name = dto.displayName !== undefined ? checkDisplayName(dto.displayName) : undefined;
    if (name && !name.ok)
      throw new ApiError('VALIDATION_FAILED', `displayName: ${name.problem}`, {
        fields: [{ field: 'displayName', problem: name.problem }],
      });
    await this.codes.verify(dto.phone, dto.code);
    // A number whose account was deleted signs up as a new account (issue 18).
    const userId = await this.accounts.forSignIn(dto.phone);
    const deviceId = newDeviceId();
    const { events } = await this.commands.execute(
      new DecideUserCommand(userId, {
        type: 'SignInPrimary',
        userId,
        phone: dto.phone,
        deviceId,
        deviceName: dto.deviceName,
        ...(dto.displayName !== undefined ? { displayName: dto.displayName } : {}),
      }),
    );
    for (const e of events) {
      if (e.type === 'DeviceRemoved') await this.tokens.revokeDevice({ userId, deviceId: e.data.deviceId });
    }
    return this.tokens.issue({ userId, deviceId });
  }

  @Post('refresh')
  @HttpCode(200)
  async refresh(@Body() body: unknown, @Ip() ip: string): Promise<TokenPair> {
    const { refreshToken } = validateDto(RefreshDto, body);
    await this.limits.refresh(ip);
    return this.tokens.refresh(refreshToken);
  }

  @Post('link')
  @HttpCode(200)
  async link(@Body() body: unknown): Promise<TokenPair> {
    const dto = validateDto(LinkDeviceDto, body);
    const userId = await this.redis.getdel(`link:${dto.code}`);
    if (!userId) throw new ApiError('CODE_INVALID', 'the link code is wrong or expired', { attemptsLeft: 0 });
    const deviceId = newDeviceId();
    await this.commands.execute(
      new DecideUserCommand(userId, {
        type: 'LinkDevice',
        deviceId,
        deviceName: dto.deviceName,
        maxLinkedDevices: this.config.MAX_LINKED_DEVICES,
      }),
    );
    return this.tokens.issue({ userId, deviceId });
  }
}
