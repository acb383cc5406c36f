import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsString,
  Length,
  Matches,
  MaxLength,
  IsBoolean,
} from 'class-validator';
import { IsOmittable } from '../http/omittable.js';
import { TOKEN, tokenMessage } from './frames.dto.js';
import { IsClientMessageId, IsMessageId } from './id-validators.js';

/** Frame bounds only; the domain checks the subject (non-blank, 1-100 characters) and membership rules. */
const SUBJECT_FRAME_MAX = 400;
const DESCRIPTION_FRAME_MAX = 8192;
const PERMISSIONS = ['everyone', 'admins'];

export class CreateGroupDto {
  @IsString()
  @MaxLength(SUBJECT_FRAME_MAX)
  subject!: string;

  @IsOmittable()
  @IsString()
  @MaxLength(DESCRIPTION_FRAME_MAX)
  description?: string;

  @IsArray()
  @ArrayMaxSize(100_000)
  @Matches(TOKEN, { each: true, message: tokenMessage })
  members!: string[];

  /** End-to-end encrypted (issue 17): only E2E content may be sent. Default false. */
  @IsOmittable()
  @IsBoolean()
  e2e?: boolean;
}

export class GroupDto {
  @Matches(TOKEN, { message: tokenMessage })
  conversationId!: string;
}

export class GroupMemberDto extends GroupDto {
  @Matches(TOKEN, { message: tokenMessage })
  userId!: string;
}

export class AddMembersDto extends GroupDto {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100_000)
  @Matches(TOKEN, { each: true, message: tokenMessage })
  userIds!: string[];
}

export class UpdateInfoDto extends GroupDto {
  @IsOmittable()
  @IsString()
  @MaxLength(SUBJECT_FRAME_MAX)
  subject?: string;

  @IsOmittable()
  @IsString()
  @MaxLength(DESCRIPTION_FRAME_MAX)
  description?: string;
}

export class UpdateSettingsDto extends GroupDto {
  @IsOmittable()
  @IsIn(PERMISSIONS, { message: 'must be everyone or admins' })
  sendMessages?: 'everyone' | 'admins';

  @IsOmittable()
  @IsIn(PERMISSIONS, { message: 'must be everyone or admins' })
  editInfo?: 'everyone' | 'admins';
}

export class MessageInfoDto {
  @Matches(TOKEN, { message: tokenMessage })
  conversationId!: string;

  @IsMessageId()
  messageId!: string;
}

export class ReplyPrivatelyDto {
  @Matches(TOKEN, { message: tokenMessage })
  groupConversationId!: string;

  @IsMessageId()
  messageId!: string;

  @IsClientMessageId()
  clientMessageId!: string;

  @IsString()
  @Length(1, 65_536)
  text!: string;
}

export class SetGroupIconDto extends GroupDto {
  /** A completed image upload of the caller; left out, the icon is removed. */
  @IsOmittable()
  @Matches(TOKEN, { message: 'must be a media id' })
  mediaId?: string;
}
