import { ArrayMaxSize, ArrayMinSize, IsArray, IsString, Length, Matches, MaxLength } from 'class-validator';
import { IsOmittable } from '../http/omittable.js';

const E164 = /^\+[1-9]\d{6,14}$/;
const E164_MESSAGE = 'must be an E.164 phone number such as +14155550123';

export class RequestCodeDto {
  @Matches(E164, { message: E164_MESSAGE })
  phone!: string;
}

export class VerifyCodeDto {
  @Matches(E164, { message: E164_MESSAGE })
  phone!: string;

  @Matches(/^\d{6}$/, { message: 'must be the 6-digit code' })
  code!: string;

  @IsString()
  @Length(1, 64)
  deviceName!: string;

  /** The new account's display name (the domain's rules: 1-25 characters, visible); an existing account keeps its own. */
  @IsOmittable()
  @IsString()
  @MaxLength(200)
  displayName?: string;
}

export class RefreshDto {
  @IsString()
  @Length(20, 200)
  refreshToken!: string;
}

export class LinkDeviceDto {
  @Matches(/^[A-Z0-9]{8}$/, { message: 'must be the 8-character link code' })
  code!: string;

  @IsString()
  @Length(1, 64)
  deviceName!: string;
}

export class LookupDto {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @Matches(E164, { each: true, message: E164_MESSAGE })
  phones!: string[];
}

/** `DELETE /v1/me`: a fresh code sent to the account's number confirms the deletion. */
export class DeleteAccountDto {
  @Matches(/^\d{6}$/, { message: 'must be the 6-digit code' })
  code!: string;
}
