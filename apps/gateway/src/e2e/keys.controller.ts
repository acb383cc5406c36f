import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, UseGuards } from '@nestjs/common';
import type { ConversationDevices, PreKeyCounts, UserBundles } from '#libs/protocol';
import { SUBJECT_TOKEN } from '#libs/events';
import { CurrentDevice, DeviceAuthGuard } from '../auth/device-auth.guard.js';
import type { DeviceIdentity } from '../auth/token.service.js';
import { ApiError } from '../http/api-error.js';
import { validateDto } from '../http/validate-body.js';
import { KeyDirectory } from './key-directory.js';
import { OneTimeKeysDto, PublishKeysDto, ReplaceSignedPreKeyDto } from './keys.dto.js';

/** The E2E key directory over HTTP (docs/protocol.md "End-to-end encryption"): per calling device. */
@Controller('v1/keys')
@UseGuards(DeviceAuthGuard)
export class KeysController {
  constructor(private readonly directory: KeyDirectory) {}

  @Put()
  @HttpCode(200)
  publish(@CurrentDevice() me: DeviceIdentity, @Body() body: unknown): Promise<PreKeyCounts> {
    return this.directory.publish(me, validateDto(PublishKeysDto, body));
  }

  @Put('signed')
  @HttpCode(204)
  async replaceSigned(@CurrentDevice() me: DeviceIdentity, @Body() body: unknown): Promise<void> {
    await this.directory.replaceSigned(me, validateDto(ReplaceSignedPreKeyDto, body));
  }

  @Post('one-time')
  @HttpCode(200)
  upload(@CurrentDevice() me: DeviceIdentity, @Body() body: unknown): Promise<PreKeyCounts> {
    return this.directory.upload(me, validateDto(OneTimeKeysDto, body));
  }

  @Get('count')
  count(@CurrentDevice() me: DeviceIdentity): Promise<PreKeyCounts> {
    return this.directory.counts(me.userId, me.deviceId);
  }

  @Get('conversation/:conversationId/devices')
  conversationDevices(
    @CurrentDevice() me: DeviceIdentity,
    @Param('conversationId') conversationId: string,
  ): Promise<ConversationDevices> {
    if (!SUBJECT_TOKEN.test(conversationId))
      throw new ApiError('NOT_A_MEMBER', 'you are not a member of this conversation');
    return this.directory.conversationDevices(me, conversationId);
  }

  @Get(':userId')
  bundles(
    @CurrentDevice() me: DeviceIdentity,
    @Param('userId') userId: string,
    @Query('deviceId') deviceId: unknown,
  ): Promise<UserBundles> {
    if (!SUBJECT_TOKEN.test(userId))
      throw new ApiError('VALIDATION_FAILED', 'not a user id', {
        fields: [{ field: 'userId', problem: 'must be an id' }],
      });
    if (deviceId !== undefined && (typeof deviceId !== 'string' || !SUBJECT_TOKEN.test(deviceId)))
      throw new ApiError('VALIDATION_FAILED', 'not a device id', {
        fields: [{ field: 'deviceId', problem: 'must be an id' }],
      });
    return this.directory.bundles(me, userId, deviceId);
  }
}
