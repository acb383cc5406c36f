import { Body, Controller, Delete, HttpCode, UseGuards } from '@nestjs/common';
import { validateDto } from '../http/validate-body.js';
import { AccountDeletion } from '../safety/account-deletion.js';
import { DeleteAccountDto } from './auth.dto.js';
import { CurrentDevice, DeviceAuthGuard } from './device-auth.guard.js';
import type { DeviceIdentity } from './token.service.js';

/** The caller's own account. */
@Controller('v1/me')
@UseGuards(DeviceAuthGuard)
export class MeController {
  constructor(private readonly deletion: AccountDeletion) {}

  /** Deletes the account, confirmed with a fresh code (POST /v1/auth/code with the account's number). */
  @Delete()
  @HttpCode(204)
  async delete(@CurrentDevice() me: DeviceIdentity, @Body() body: unknown): Promise<void> {
    const { code } = validateDto(DeleteAccountDto, body);
    await this.deletion.delete(me, code);
  }
}
