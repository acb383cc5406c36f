import { Body, Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { CurrentDevice, DeviceAuthGuard } from '../auth/device-auth.guard.js';
import type { DeviceIdentity } from '../auth/token.service.js';
import { ApiError } from '../http/api-error.js';
import { RouteLimits } from '../http/route-limits.js';
import { validateDto } from '../http/validate-body.js';
import { CompleteUploadDto, CreateUploadDto, DownloadDto } from './media.dto.js';
import type { UploadSlot } from '#libs/protocol';
import { MediaService } from './media.service.js';

const MEDIA_ID = /^[A-Za-z0-9_-]{1,64}$/;

function mediaIdOf(raw: string): string {
  if (!MEDIA_ID.test(raw)) throw new ApiError('VALIDATION_FAILED', 'mediaId: not a media id');
  return raw;
}

/** Media uploads and downloads: the bytes go straight to and from S3 through presigned URLs. */
@Controller('v1/media')
@UseGuards(DeviceAuthGuard)
export class MediaController {
  constructor(
    private readonly media: MediaService,
    private readonly limits: RouteLimits,
  ) {}

  @Post()
  @HttpCode(201)
  async createSlot(@CurrentDevice() me: DeviceIdentity, @Body() body: unknown): Promise<UploadSlot> {
    const dto = validateDto(CreateUploadDto, body);
    await this.limits.mediaSlot(me.userId);
    return this.media.createSlot(me, dto);
  }

  @Post(':mediaId/complete')
  @HttpCode(200)
  complete(
    @CurrentDevice() me: DeviceIdentity,
    @Param('mediaId') mediaId: string,
    @Body() body: unknown,
  ): ReturnType<MediaService['complete']> {
    return this.media.complete(me, mediaIdOf(mediaId), validateDto(CompleteUploadDto, body ?? {}));
  }

  @Post(':mediaId/download')
  @HttpCode(200)
  download(
    @CurrentDevice() me: DeviceIdentity,
    @Param('mediaId') mediaId: string,
    @Body() body: unknown,
  ): ReturnType<MediaService['downloadUrl']> {
    const req = validateDto(DownloadDto, body);
    return this.media.downloadUrl(me, mediaIdOf(mediaId), req.conversationId, req.messageId);
  }
}
