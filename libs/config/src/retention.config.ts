import { IsIn, IsInt, Min } from 'class-validator';
import { ToInt } from './transforms.js';

/**
 * transient: WhatsApp-style, inbox entries leave on acknowledgement and timelines live only for the window;
 * permanent: Messenger-style history kept forever.
 */
export class RetentionConfig {
  @IsIn(['transient', 'permanent'], { message: 'transient or permanent' })
  RETENTION_MODE: 'transient' | 'permanent' = 'permanent';

  @ToInt()
  @IsInt({ message: 'the transient history window in seconds' })
  @Min(60, { message: 'at least 60 seconds' })
  RETENTION_WINDOW_SECONDS = 30 * 86_400;
}
