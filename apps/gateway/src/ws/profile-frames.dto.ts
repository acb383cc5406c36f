import { ArrayMaxSize, ArrayMinSize, Equals, IsArray, IsString, Matches, MaxLength } from 'class-validator';
import { IsOmittable } from '../http/omittable.js';
import { TOKEN, tokenMessage } from './frames.dto.js';

/** `profile.set`. Lengths and characters are the domain's rules (checkDisplayName, checkAbout); these bound the frame. */
export class ProfileSetDto {
  @IsOmittable()
  @IsString()
  @MaxLength(200)
  displayName?: string;

  @IsOmittable()
  @IsString()
  @MaxLength(1000)
  about?: string;

  @IsOmittable()
  @Matches(TOKEN, { message: tokenMessage })
  avatarMediaId?: string;

  @IsOmittable()
  @Equals(true, { message: 'must be true (leave it out to keep the avatar)' })
  removeAvatar?: true;
}

/** `profile.get`: at most 100 users per frame. */
export class ProfileGetDto {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @Matches(TOKEN, { each: true, message: 'each must be a user id' })
  userIds!: string[];
}

/** `profile.changes`: the cursor of the previous answer, or nothing for every change still kept. */
export class ProfileChangesDto {
  @IsOmittable()
  @Matches(/^\d{1,15}$/, { message: 'must be a cursor returned by the server' })
  since?: string;
}
