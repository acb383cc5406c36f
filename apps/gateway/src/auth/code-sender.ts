import type { Logger } from 'pino';
import type { AuthConfig } from '../gateway.config.js';
import { TwilioCodeSender } from './twilio-code-sender.js';

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

/** The sender the configuration names. */
export function codeSenderFor(config: Readonly<AuthConfig>, logger: Logger): CodeSender {
  switch (config.CODE_SENDER) {
    case 'log':
      return new LogCodeSender(logger);
    case 'twilio':
      return new TwilioCodeSender(
        {
          accountSid: config.TWILIO_ACCOUNT_SID!,
          authToken: config.TWILIO_AUTH_TOKEN!,
          from: config.TWILIO_FROM!,
          apiUrl: config.TWILIO_API_URL,
          retries: config.CODE_SEND_RETRIES,
          timeoutMs: config.CODE_SEND_TIMEOUT_MS,
        },
        logger,
      );
    default: {
      const _exhaustive: never = config.CODE_SENDER;
      return _exhaustive;
    }
  }
}
