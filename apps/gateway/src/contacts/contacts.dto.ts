import { ArrayMaxSize, IsArray, IsString, Matches, MaxLength } from 'class-validator';
import { IsOmittable } from '../http/omittable.js';

/**
 * Numbers added per request: one full discovery request, as for `POST /v1/users/lookup` (the lookup
 * budgets are at least this). Removing is not discovery: up to ten times as many.
 */
export const CONTACTS_ADDED_PER_REQUEST = 100;
export const CONTACTS_REMOVED_PER_REQUEST = 1000;

/** `POST /v1/contacts`: an incremental address-book change. */
export class ChangeContactsDto {
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(CONTACTS_ADDED_PER_REQUEST)
  @IsString({ each: true })
  @MaxLength(40, { each: true })
  add?: string[];

  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(CONTACTS_REMOVED_PER_REQUEST)
  @IsString({ each: true })
  @MaxLength(40, { each: true })
  remove?: string[];

  /** The uploader's country calling code (`1`, `44`, ...), for numbers written without one. */
  @IsOmittable()
  @Matches(/^[1-9]\d{0,2}$/, { message: 'must be a country calling code such as 1 or 44' })
  defaultCountryCode?: string;
}
