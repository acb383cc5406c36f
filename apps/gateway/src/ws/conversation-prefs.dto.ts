import { IsBoolean, IsInt, Matches, Max, Min } from 'class-validator';
import { IsOmittable } from '../http/omittable.js';
import { TOKEN, tokenMessage } from './frames.dto.js';
import { IsMessageId } from './id-validators.js';

export class ArchiveConversationDto {
  @Matches(TOKEN, { message: tokenMessage })
  conversationId!: string;

  @IsBoolean()
  archived!: boolean;
}

export class PinConversationDto {
  @Matches(TOKEN, { message: tokenMessage })
  conversationId!: string;

  @IsBoolean()
  pinned!: boolean;
}

export class StarMessageDto {
  @Matches(TOKEN, { message: tokenMessage })
  conversationId!: string;

  @IsMessageId()
  messageId!: string;

  @IsBoolean()
  starred!: boolean;
}

export class StarredListDto {
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}
