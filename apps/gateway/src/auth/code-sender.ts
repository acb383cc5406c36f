import type { Logger } from 'pino';

/** Delivers a verification code to a phone (SMS or voice in production). */
export interface CodeSender {
  send(phone: string, code: string): Promise<void>;
}

/** Development sender: writes the code to the log; no API response ever carries it. */
export class LogCodeSender implements CodeSender {
  constructor(private readonly logger: Logger) {}

  async send(phone: string, code: string): Promise<void> {
    this.logger.info({ phone, code }, 'verification code (development sender)');
  }
}
