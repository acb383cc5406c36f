import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsOmittable } from '../http/omittable.js';

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;
/** Standard base64; the frame's 64 KiB bounds the total. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export class E2eEnvelopeDto {
  @Matches(TOKEN, { message: 'must be a device id' })
  deviceId!: string;

  @IsInt()
  @Min(1)
  @Max(16380)
  registrationId!: number;

  @IsInt()
  @Min(0)
  @Max(255)
  type!: number;

  @Matches(BASE64, { message: 'must be standard base64' })
  @Matches(/^.{4,}$/s, { message: 'must not be empty' })
  body!: string;
}

/** `message.send`'s `e2e`: per-device envelopes, or one sender-key ciphertext for a group. */
export class E2eSendDto {
  @IsIn(['envelopes', 'sender_key'])
  kind!: 'envelopes' | 'sender_key';

  /** Required with kind `envelopes` (checked where the content is built: E2eContent). */
  @IsOmittable()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10_000)
  @ValidateNested({ each: true })
  @Type(() => E2eEnvelopeDto)
  envelopes?: E2eEnvelopeDto[];

  @IsOmittable()
  @IsBoolean()
  distribution?: boolean;

  /** Required with kind `sender_key`, like distributionVersion. */
  @IsOmittable()
  @Matches(BASE64, { message: 'must be standard base64' })
  @Matches(/^.{4,}$/s, { message: 'must not be empty' })
  body?: string;

  @IsOmittable()
  @IsInt()
  @Min(0)
  distributionVersion?: number;

  /** Encrypted uploads the ciphertexts point to (1-10); their keys travel inside the envelopes. */
  @IsOmittable()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10)
  @Matches(TOKEN, { each: true, message: 'each must be a media id' })
  mediaIds?: string[];
}
