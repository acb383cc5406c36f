import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsInt, IsObject, Matches, Max, Min, ValidateNested } from 'class-validator';
import { IsOmittable } from '../http/omittable.js';

/** Standard base64 of public key material (at most 4 KiB of text: a Kyber-1024 key is ~2.1 KiB). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4}){1,1024}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const base64 = { message: 'must be standard base64 (at most 4 KiB of text)' };

/** Most one-time keys of one kind per upload (the client sends more in several). */
export const MAX_ONE_TIME_KEYS_PER_UPLOAD = 100;

export class OneTimePreKeyDto {
  @IsInt()
  @Min(0)
  @Max(0xffffff)
  keyId!: number;

  @Matches(BASE64, base64)
  publicKey!: string;
}

export class SignedPreKeyDto extends OneTimePreKeyDto {
  @Matches(BASE64, base64)
  signature!: string;
}

export class OneTimeKeysDto {
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(MAX_ONE_TIME_KEYS_PER_UPLOAD)
  @ValidateNested({ each: true })
  @Type(() => OneTimePreKeyDto)
  preKeys?: OneTimePreKeyDto[];

  /** Kyber one-time prekeys are signed by the identity key, like the last-resort one. */
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(MAX_ONE_TIME_KEYS_PER_UPLOAD)
  @ValidateNested({ each: true })
  @Type(() => SignedPreKeyDto)
  kyberPreKeys?: SignedPreKeyDto[];
}

/** `PUT /v1/keys`: everything a device publishes at once. */
export class PublishKeysDto extends OneTimeKeysDto {
  @Matches(BASE64, base64)
  identityKey!: string;

  /** libsignal's registration id: 14 bits, never 0. */
  @IsInt()
  @Min(1)
  @Max(16380)
  registrationId!: number;

  @IsObject()
  @ValidateNested()
  @Type(() => SignedPreKeyDto)
  signedPreKey!: SignedPreKeyDto;

  @IsObject()
  @ValidateNested()
  @Type(() => SignedPreKeyDto)
  kyberLastResortPreKey!: SignedPreKeyDto;
}

/** `PUT /v1/keys/signed`: a new signed prekey (and optionally a new last-resort Kyber prekey). */
export class ReplaceSignedPreKeyDto {
  @IsObject()
  @ValidateNested()
  @Type(() => SignedPreKeyDto)
  signedPreKey!: SignedPreKeyDto;

  @IsOmittable()
  @IsObject()
  @ValidateNested()
  @Type(() => SignedPreKeyDto)
  kyberLastResortPreKey?: SignedPreKeyDto;
}
