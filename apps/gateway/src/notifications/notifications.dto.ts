import { Type } from 'class-transformer';
import {
  IsIn,
  IsObject,
  IsISO8601,
  IsString,
  IsUrl,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { IsOmittable } from '../http/omittable.js';

export class FcmTokenDto {
  @IsString()
  @Length(1, 4096)
  token!: string;
}

export class ApnsTokenDto {
  @Matches(/^[0-9a-f]{64,200}$/, { message: 'must be the hex APNs device token' })
  token!: string;

  @IsIn(['sandbox', 'production'])
  environment!: 'sandbox' | 'production';
}

export class WebPushKeysDto {
  @Matches(/^[A-Za-z0-9_-]{80,100}={0,2}$/, { message: 'must be the base64url P-256 public key' })
  p256dh!: string;

  @Matches(/^[A-Za-z0-9_-]{16,32}={0,2}$/, { message: 'must be the base64url auth secret' })
  auth!: string;
}

/** A browser's PushSubscription.toJSON(), without expirationTime. */
export class WebPushSubscriptionDto {
  @IsUrl({ protocols: ['https', 'http'], require_tld: false, require_protocol: true })
  @MaxLength(2048)
  endpoint!: string;

  // Without @IsObject a missing `keys` passed: @ValidateNested lets undefined through.
  @IsObject()
  @ValidateNested()
  @Type(() => WebPushKeysDto)
  keys!: WebPushKeysDto;
}

export class PreviewDto {
  @IsIn(['show', 'hide'])
  preview!: 'show' | 'hide';
}

export class MuteDto {
  @IsOmittable()
  @IsISO8601({ strict: true })
  until?: string;
}
