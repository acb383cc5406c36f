import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  Equals,
  IsBoolean,
  IsObject,
  IsString,
  Length,
  Matches,
  ValidateNested,
} from 'class-validator';
import { IsOmittable } from '../http/omittable.js';
import { TOKEN, tokenMessage } from './frames.dto.js';
import { IsClientMessageId, IsMessageId } from './id-validators.js';
import { PointDto } from './location.dto.js';

/** What every action on a message names: the message, and the device's id for the action (idempotency). */
class MessageActionDto {
  @Matches(TOKEN, { message: tokenMessage })
  conversationId!: string;

  @IsMessageId()
  messageId!: string;

  @IsClientMessageId()
  clientActionId!: string;
}

export class EditMessageDto extends MessageActionDto {
  /** The limit is the domain's (MESSAGE_TOO_LARGE); this bounds the frame. Exactly one of text and caption. */
  @IsOmittable()
  @IsString()
  @Length(1, 65_536)
  text?: string;

  @IsOmittable()
  @IsString()
  @Length(1, 4096)
  caption?: string;

  /** A live location's new point. */
  @IsOmittable()
  @IsObject()
  @ValidateNested()
  @Type(() => PointDto)
  location?: PointDto;

  /** A live location ends. */
  @IsOmittable()
  @Equals(true, { message: 'stopLive is true or left out' })
  stopLive?: true;
}

export class ReactToMessageDto extends MessageActionDto {
  /** One emoji (the domain checks it is a single grapheme); left out: the caller's reaction is removed. */
  @IsOmittable()
  @IsString()
  @Length(1, 32)
  emoji?: string;
}

export class DeleteMessageDto extends MessageActionDto {
  /** true: for everyone (sender, or a group admin); false: for the caller's own devices only. */
  @IsBoolean()
  forEveryone!: boolean;
}

export class ForwardTargetDto {
  @Matches(TOKEN, { message: tokenMessage })
  conversationId!: string;

  @IsClientMessageId()
  clientMessageId!: string;
}

export class ForwardMessageDto {
  @Matches(TOKEN, { message: tokenMessage })
  fromConversationId!: string;

  @IsMessageId()
  messageId!: string;

  /** 1-5 chats (the domain allows one for a message forwarded many times), each with the copy's client id. */
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(5)
  @ValidateNested({ each: true })
  @Type(() => ForwardTargetDto)
  to!: ForwardTargetDto[];
}
