import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsNumber,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsOmittable } from '../http/omittable.js';
import type { MediaKind } from '#libs/protocol';
import { IsMessageId } from '../ws/id-validators.js';

const MEDIA_KINDS: readonly MediaKind[] = ['image', 'video', 'audio', 'voice', 'document'];
const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/** POST /v1/media: ask for an upload slot. */
export class CreateUploadDto {
  @IsIn(MEDIA_KINDS, { message: `must be one of ${MEDIA_KINDS.join(', ')}` })
  kind!: MediaKind;

  @Matches(/^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$/, {
    message: 'must be a lowercase MIME type such as image/jpeg',
  })
  contentType!: string;

  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  size!: number;

  /** SHA-256 of the bytes as uploaded (the ciphertext when encrypted), 64 lowercase hex digits. */
  @Matches(/^[0-9a-f]{64}$/, { message: 'must be the SHA-256 as 64 lowercase hex digits' })
  sha256!: string;

  /** End-to-end encrypted bytes: the server checks size and checksum but cannot check the real type. */
  @IsOmittable()
  @IsBoolean()
  encrypted?: boolean;
}

export class UploadedPartDto {
  @IsInt()
  @Min(1)
  @Max(10_000)
  partNumber!: number;

  @IsString()
  @Length(1, 128)
  etag!: string;
}

/** POST /v1/media/:mediaId/complete: the device says the bytes are there (parts for a multipart upload). */
export class CompleteUploadDto {
  @IsOmittable()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10_000)
  // Each part an object: ValidateNested alone lets a nested array (`[[]]`) through with nothing to check.
  @IsObject({ each: true, message: 'each part must be an object' })
  @ValidateNested({ each: true })
  @Type(() => UploadedPartDto)
  parts?: UploadedPartDto[];
}

/** POST /v1/media/:mediaId/download: the message through which the caller sees the media. */
export class DownloadDto {
  @Matches(TOKEN, { message: 'must be an id of 1-64 letters, digits, _ or -' })
  conversationId!: string;

  @IsMessageId()
  messageId!: string;
}

/** The media of a message.send frame: a completed upload and what the client adds to it. */
export class MediaAttachmentDto {
  @Matches(TOKEN, { message: 'must be a media id' })
  mediaId!: string;

  /** The character limit is the domain's (MESSAGE_TOO_LARGE); this only bounds the frame. */
  @IsOmittable()
  @IsString()
  @Length(1, 65_536)
  caption?: string;

  /** A client-made preview as base64, at most 8 KiB of text. */
  @IsOmittable()
  @Matches(/^[A-Za-z0-9+/]{4,8192}={0,2}$/, { message: 'must be base64 of at most 8192 characters' })
  thumbnail?: string;

  @IsOmittable()
  @Matches(/^[0-9A-Za-z#$%*+,\-.:;=?@[\]^_{|}~]{6,100}$/, {
    message: 'must be a blurhash of 6-100 characters',
  })
  blurhash?: string;

  @IsOmittable()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(86_400)
  durationSeconds?: number;

  @IsOmittable()
  @IsString()
  @Length(1, 255)
  fileName?: string;

  @IsOmittable()
  @IsBoolean()
  viewOnce?: boolean;
}
