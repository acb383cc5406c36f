import { Body, Controller, HttpCode, Ip, Post, UseGuards } from '@nestjs/common';
import { DeviceStore } from '#libs/read-models';
import { RouteLimits } from '../http/route-limits.js';
import { validateDto } from '../http/validate-body.js';
import { LookupDto } from './auth.dto.js';
import { CurrentDevice, DeviceAuthGuard } from './device-auth.guard.js';
import type { DeviceIdentity } from './token.service.js';
import { PhoneAccounts } from './phone-accounts.js';

/** Contact discovery: which of these phone numbers have an account. */
@Controller('v1/users')
@UseGuards(DeviceAuthGuard)
export class UsersController {
  constructor(
    private readonly devices: DeviceStore,
    private readonly limits: RouteLimits,
    private readonly accounts: PhoneAccounts,
  ) {}

  @Post('lookup')
  @HttpCode(200)
  async lookup(
    @CurrentDevice() me: DeviceIdentity,
    @Body() body: unknown,
    @Ip() ip: string,
  ): Promise<{ users: Array<{ phone: string; userId: string }> }> {
    const { phones } = validateDto(LookupDto, body);
    const unique = [...new Set(phones)];
    await this.limits.lookup(me.userId, ip, unique.length);
    const ids = await this.accounts.current(unique);
    const candidates = unique.map((phone) => ({ phone, userId: ids.get(phone)! }));
    const found = await Promise.all(
      candidates.map(async (c) => ((await this.devices.userExists(c.userId)) ? c : undefined)),
    );
    return { users: found.filter((c): c is { phone: string; userId: string } => c !== undefined) };
  }
}
