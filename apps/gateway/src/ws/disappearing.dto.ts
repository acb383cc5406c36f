import { IsIn, Matches } from 'class-validator';
import type { DisappearingTimer } from '#libs/protocol';
import { TOKEN, tokenMessage } from './frames.dto.js';
import { IsClientMessageId } from './id-validators.js';

const TIMERS: readonly DisappearingTimer[] = ['off', '24h', '7d', '90d'];

export class SetDisappearingDto {
  @Matches(TOKEN, { message: tokenMessage })
  conversationId!: string;

  @IsIn(TIMERS, { message: 'must be off, 24h, 7d or 90d' })
  timer!: DisappearingTimer;

  @IsClientMessageId()
  clientActionId!: string;
}
