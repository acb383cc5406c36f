import { IsIn, IsInt, Min } from 'class-validator';
import { ToInt } from './transforms.js';

/**
 * transient: WhatsApp-style, inbox entries leave on acknowledgement; message content (timelines, inbox
 * entries, conversation-list previews and the message events in JetStream) lives only for the window;
 * permanent: Messenger-style history kept forever.
 */
export class RetentionConfig {
  @IsIn(['transient', 'permanent'], { message: 'transient or permanent' })
  RETENTION_MODE: 'transient' | 'permanent' = 'permanent';

  @ToInt()
  @IsInt({ message: 'the transient history window in seconds' })
  @Min(1, { message: 'at least 1 second' })
  RETENTION_WINDOW_SECONDS = 30 * 86_400;

  /** How often, in transient mode, message events older than the window are purged from the log. */
  @ToInt()
  @IsInt({ message: 'seconds between two purges of expired message events' })
  @Min(1, { message: 'at least 1 second' })
  RETENTION_SWEEP_INTERVAL_SECONDS = 60;
}
