import { Inject, Injectable } from '@nestjs/common';
import { avatarKeyOf, MediaStore } from '#libs/read-models';
import { ObjectStore } from '#libs/s3';
import type { ProfileConfig } from '../gateway.config.js';
import { ApiError } from '../http/api-error.js';
import { PROFILE_CONFIG } from '../tokens.js';
import { squareAvatar, UndecodableImageError } from './avatar-image.js';
import { DIMENSION_SNIFF_BYTES, imageDimensions } from './image-dimensions.js';

/** Avatar formats: what every client decodes (HEIC and GIF are refused: convert first). */
const AVATAR_TYPE_LIST = ['image/jpeg', 'image/png', 'image/webp'] as const;
type AvatarType = (typeof AVATAR_TYPE_LIST)[number];
export const AVATAR_TYPES: readonly string[] = AVATAR_TYPE_LIST;
const isAvatarType = (t: string): t is AvatarType => AVATAR_TYPES.includes(t);

/**
 * Takes a completed image upload as an avatar: the caller's own upload (type already verified from its
 * bytes at completion), a JPEG, PNG or WebP within PROFILE_AVATAR_MAX_BYTES and PROFILE_AVATAR_MAX_PIXELS
 * on each side (read from the header before anything is decoded), then cropped to a centred square of
 * at most PROFILE_AVATAR_SIDE_PIXELS without metadata (`squareAvatar`) and written to the avatar's own
 * key: a new key per avatar, so the profile's switch (ProfileAvatarChanged) replaces it atomically and
 * the projector deletes the old object after. The upload itself stays unreferenced and the media
 * sweeper removes it like any other.
 */
@Injectable()
export class AvatarIntake {
  constructor(
    private readonly media: MediaStore,
    private readonly objects: ObjectStore,
    @Inject(PROFILE_CONFIG) private readonly config: Readonly<ProfileConfig>,
  ) {}

  /** Returns the avatar id (the media id) once its object is in place. */
  take(userId: string, mediaId: string): Promise<string> {
    return this.takeAs(userId, mediaId, avatarKeyOf(userId, mediaId));
  }

  /** The same checks and the same square, written to `key` (a group's icon takes them too). */
  async takeAs(userId: string, mediaId: string, key: string): Promise<string> {
    const row = await this.media.get(mediaId);
    if (!row || row.ownerUserId !== userId)
      throw new ApiError('MEDIA_NOT_ACCESSIBLE', 'an avatar must be an image you uploaded');
    if (row.state === 'deleted') throw new ApiError('MEDIA_GONE', 'this media was deleted');
    if (row.state !== 'completed') throw new ApiError('MEDIA_NOT_READY', 'complete the upload first');
    const contentType = row.contentType;
    if (row.kind !== 'image' || row.encrypted || !isAvatarType(contentType))
      throw new ApiError('MEDIA_TYPE_NOT_ALLOWED', 'an avatar is a JPEG, PNG or WebP image (not encrypted)', {
        allowed: AVATAR_TYPES,
        declared: row.contentType,
      });
    const limit = this.config.PROFILE_AVATAR_MAX_BYTES;
    if (row.size > limit)
      throw new ApiError('MEDIA_TOO_LARGE', `an avatar is at most ${limit} bytes`, {
        limit,
        size: row.size,
        kind: 'avatar',
      });
    const head = await this.objects.readRange(
      row.objectKey,
      0,
      Math.min(row.size, DIMENSION_SNIFF_BYTES) - 1,
    );
    const size = imageDimensions(row.contentType, head);
    const max = this.config.PROFILE_AVATAR_MAX_PIXELS;
    if (!size)
      throw new ApiError('MEDIA_TYPE_NOT_ALLOWED', 'the image size could not be read from its header');
    if (size.width > max || size.height > max || size.width < 1 || size.height < 1)
      throw new ApiError('MEDIA_TOO_LARGE', `an avatar is at most ${max}x${max} pixels: crop or scale it`, {
        limitPixels: max,
        width: size.width,
        height: size.height,
        kind: 'avatar',
      });
    const bytes =
      row.size <= DIMENSION_SNIFF_BYTES ? head : await this.objects.readRange(row.objectKey, 0, row.size - 1);
    let avatar;
    try {
      avatar = await squareAvatar(bytes, contentType, this.config.PROFILE_AVATAR_SIDE_PIXELS, max);
    } catch (err) {
      if (!(err instanceof UndecodableImageError)) throw err;
      throw new ApiError('MEDIA_TYPE_NOT_ALLOWED', 'the image could not be decoded', {
        problem: err.message,
      });
    }
    await this.objects.put(key, avatar.bytes, contentType);
    return mediaId;
  }
}
