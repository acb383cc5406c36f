import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { IsOmittable } from '../http/omittable.js';
import { TOKEN, tokenMessage } from './frames.dto.js';
import { IsMessageId } from './id-validators.js';

/** `block.add`, `block.remove`: the account to block or unblock. */
export class BlockDto {
  @Matches(TOKEN, { message: tokenMessage })
  userId!: string;
}

/** A message of an E2E conversation as the reporter's client decrypted it. */
export class ReportedMessageDto {
  @IsMessageId()
  messageId!: string;

  @Matches(TOKEN, { message: tokenMessage })
  senderUserId!: string;

  @IsOmittable()
  @IsString()
  @MaxLength(65_536)
  text?: string;
}

/** `report.create`: exactly one of userId and conversationId (checked by the handler); at most 5 messages. */
export class ReportDto {
  @IsOmittable()
  @Matches(TOKEN, { message: tokenMessage })
  userId?: string;

  @IsOmittable()
  @Matches(TOKEN, { message: tokenMessage })
  conversationId?: string;

  @IsIn(['spam', 'abuse', 'illegal', 'other'], { message: 'must be spam, abuse, illegal or other' })
  reason!: 'spam' | 'abuse' | 'illegal' | 'other';

  @IsOmittable()
  @IsString()
  @MaxLength(500)
  comment?: string;

  @IsOmittable()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(5)
  @IsMessageId({ each: true })
  messageIds?: string[];

  @IsOmittable()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(5)
  @ValidateNested({ each: true })
  @Type(() => ReportedMessageDto)
  messages?: ReportedMessageDto[];

  @IsOmittable()
  @IsBoolean()
  block?: boolean;
}
