import type { Logger } from 'pino';
import { ApiError } from '../http/api-error.js';
import type { CodeSender } from './code-sender.js';

export interface TwilioSettings {
  readonly accountSid: string;
  readonly authToken: string;
  /** An E.164 sender number, or a messaging service SID (MG...). */
  readonly from: string;
  readonly apiUrl: string;
  readonly retries: number;
  readonly timeoutMs: number;
}

/** Twilio error codes that mean "this number cannot get an SMS": the client's input, never retried. */
const UNREACHABLE_NUMBER = new Set([21211, 21214, 21217, 21408, 21610, 21612, 21614]);

/** What one attempt came to: sent, worth another try, or a final refusal. */
type Attempt =
  | { readonly kind: 'sent'; readonly sid: string }
  | { readonly kind: 'retry'; readonly reason: string }
  | { readonly kind: 'refused'; readonly error: ApiError };

/**
 * Sends codes by SMS through Twilio's Messages API: `POST /2010-04-01/Accounts/{sid}/Messages.json`,
 * form-encoded `To`, `From` (or `MessagingServiceSid`) and `Body`, HTTP Basic auth with the account SID
 * and auth token. Timeouts, 429 and 5xx are retried (with a growing pause); any other refusal is final.
 * A send that did not go out is an error the client sees (CODE_NOT_SENT, or VALIDATION_FAILED for a
 * number that cannot receive SMS), never a silent success. The code itself is never logged.
 */
export class TwilioCodeSender implements CodeSender {
  constructor(
    private readonly settings: TwilioSettings,
    private readonly logger: Logger,
    private readonly pause: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  async send(phone: string, code: string): Promise<void> {
    let last = 'no attempt';
    for (let attempt = 0; attempt <= this.settings.retries; attempt++) {
      if (attempt > 0) await this.pause(200 * 2 ** (attempt - 1) + Math.floor(Math.random() * 100));
      const outcome = await this.attempt(phone, code);
      if (outcome.kind === 'sent') {
        this.logger.info({ phone, sid: outcome.sid, attempts: attempt + 1 }, 'verification code sent by SMS');
        return;
      }
      if (outcome.kind === 'refused') {
        this.logger.warn({ phone, code: outcome.error.code, err: outcome.error.message }, 'SMS refused');
        throw outcome.error;
      }
      last = outcome.reason;
    }
    this.logger.warn({ phone, reason: last, attempts: this.settings.retries + 1 }, 'SMS not sent');
    throw new ApiError('CODE_NOT_SENT', 'the verification code could not be sent: try again later', {
      retryable: true,
    });
  }

  private async attempt(phone: string, code: string): Promise<Attempt> {
    const { accountSid, authToken, from, apiUrl, timeoutMs } = this.settings;
    const form = new URLSearchParams({ To: phone, Body: `Your verification code is ${code}` });
    if (from.startsWith('MG')) form.set('MessagingServiceSid', from);
    else form.set('From', from);
    let res: Response;
    try {
      res = await fetch(`${apiUrl}/2010-04-01/Accounts/${accountSid}/Messages.json`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form.toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      return { kind: 'retry', reason: `no answer: ${(err as Error).name}` };
    }
    const body = (await res.json().catch(() => ({}))) as { sid?: unknown; code?: unknown; message?: unknown };
    if (res.status === 201 || res.status === 200)
      return typeof body.sid === 'string'
        ? { kind: 'sent', sid: body.sid }
        : { kind: 'retry', reason: 'an answer without a message sid' };
    if (res.status === 429 || res.status >= 500) return { kind: 'retry', reason: `HTTP ${res.status}` };
    const twilioCode = typeof body.code === 'number' ? body.code : undefined;
    if (res.status === 400 && twilioCode !== undefined && UNREACHABLE_NUMBER.has(twilioCode))
      return {
        kind: 'refused',
        error: new ApiError('VALIDATION_FAILED', 'this phone number cannot receive an SMS', {
          fields: [{ field: 'phone', problem: 'cannot receive an SMS' }],
        }),
      };
    // Our credentials or request are wrong (401, 403, other 400s): an operator must act; retrying won't help.
    return {
      kind: 'refused',
      error: new ApiError('CODE_NOT_SENT', 'the verification code could not be sent', {
        retryable: false,
        ...(twilioCode !== undefined ? { providerCode: twilioCode } : {}),
      }),
    };
  }
}
