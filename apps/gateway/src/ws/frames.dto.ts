import { Type } from 'class-transformer';
import {
  IsBoolean,
  ArrayMaxSize,
  ArrayMinSize,
  Equals,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsOmittable } from '../http/omittable.js';
import { MediaAttachmentDto } from '../media/media.dto.js';
import { E2eSendDto } from '../e2e/e2e-send.dto.js';
import { IsClientMessageId, IsMessageId } from './id-validators.js';
import { LocationAttachmentDto } from './location.dto.js';

export const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;
const ENTRY = /^\d{1,2}:\d{1,15}$/;
export const tokenMessage = 'must be an id of 1-64 letters, digits, _ or -';

export class EmptyDto {
  /**
   * class-validator (forbidUnknownValues) refuses an object of a class with no rule at all, which made
   * every `{}` frame fail; this rule admits nothing but keeps the class known.
   */
  @IsOmittable()
  @Equals(undefined, { message: 'this frame takes no data' })
  readonly _?: never;
}

export class SyncDto {
  @IsOmittable()
  @IsString()
  @MaxLength(2000)
  @Matches(/^(\d{1,2}:\d{1,15}(,\d{1,2}:\d{1,15})*)?$/, {
    message: 'must be a cursor returned by the server',
  })
  cursor?: string;
}

export class OpenDirectDto {
  @Matches(TOKEN, { message: tokenMessage })
  userId!: string;

  /** End-to-end encrypted (issue 17); default: true when both users published E2E keys. */
  @IsOmittable()
  @IsBoolean()
  e2e?: boolean;
}

export class SendMessageDto {
  @Matches(TOKEN, { message: tokenMessage })
  conversationId!: string;

  @IsClientMessageId()
  clientMessageId!: string;

  /** The character limit is the domain's (MESSAGE_TOO_LARGE); this only bounds the frame. Exactly one of text and media. */
  @IsOmittable()
  @IsString()
  @Length(1, 65_536)
  text?: string;

  @IsOmittable()
  @IsObject()
  @ValidateNested()
  @Type(() => MediaAttachmentDto)
  media?: MediaAttachmentDto;

  /** A location message (issue 19). */
  @IsOmittable()
  @IsObject()
  @ValidateNested()
  @Type(() => LocationAttachmentDto)
  location?: LocationAttachmentDto;

  /** End-to-end encrypted content (issue 17): exactly one of text, media and e2e. */
  @IsOmittable()
  @IsObject()
  @ValidateNested()
  @Type(() => E2eSendDto)
  e2e?: E2eSendDto;

  @IsOmittable()
  @IsMessageId()
  replyTo?: string;

  /** Mentioned members; the domain checks they are members. */
  @IsOmittable()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1024)
  @Matches(TOKEN, { each: true, message: tokenMessage })
  mentions?: string[];

  /** A retry of a send whose answer was lost: the first message is looked for beyond JetStream's window. */
  @IsOmittable()
  @IsBoolean()
  resend?: boolean;
}

export class AckDto {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @Matches(ENTRY, { each: true, message: 'each must be an entryId the server sent' })
  entries!: string[];
}

export class MarkReadDto {
  @Matches(TOKEN, { message: tokenMessage })
  conversationId!: string;

  @IsMessageId()
  upToMessageId!: string;
}

export class HistoryDto {
  @Matches(TOKEN, { message: tokenMessage })
  conversationId!: string;

  @IsOmittable()
  @IsMessageId()
  before?: string;

  @IsOmittable()
  @IsMessageId()
  after?: string;

  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}

export class ListConversationsDto {
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class ConversationDto {
  @Matches(TOKEN, { message: tokenMessage })
  conversationId!: string;
}

const AUDIENCES = ['everyone', 'contacts', 'nobody'];

export class PresenceSubscribeDto {
  @IsArray()
  @ArrayMaxSize(256)
  @Matches(TOKEN, { each: true, message: 'each must be a user id' })
  userIds!: string[];

  /** The conversation open on the device: its typing indicators come too (members only). */
  @IsOmittable()
  @Matches(TOKEN, { message: tokenMessage })
  conversationId?: string;
}

export class TypingDto {
  @Matches(TOKEN, { message: tokenMessage })
  conversationId!: string;

  @IsIn(['typing', 'recording', 'stopped'], { message: 'must be typing, recording or stopped' })
  state!: 'typing' | 'recording' | 'stopped';
}

export class PrivacyDto {
  @IsOmittable()
  @IsIn(AUDIENCES, { message: 'must be everyone, contacts or nobody' })
  lastSeen?: 'everyone' | 'contacts' | 'nobody';

  @IsOmittable()
  @IsIn(AUDIENCES, { message: 'must be everyone, contacts or nobody' })
  online?: 'everyone' | 'contacts' | 'nobody';

  @IsOmittable()
  @IsIn(AUDIENCES, { message: 'must be everyone, contacts or nobody' })
  avatar?: 'everyone' | 'contacts' | 'nobody';

  @IsOmittable()
  @IsIn(AUDIENCES, { message: 'must be everyone, contacts or nobody' })
  about?: 'everyone' | 'contacts' | 'nobody';
}
