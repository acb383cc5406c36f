import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One SMS the fake accepted. */
export interface ReceivedSms {
  readonly to: string;
  readonly from?: string;
  readonly messagingServiceSid?: string;
  readonly body: string;
  readonly sid: string;
}

/** A scripted answer to the next request: an HTTP status and Twilio's error code. */
export interface ScriptedFailure {
  readonly status: number;
  readonly code?: number;
  readonly message?: string;
  /** Hold the answer this long (to make the sender time out). */
  readonly delayMs?: number;
}

const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * A local stand-in for Twilio's Messages API that checks requests the way the real one does: the path's
 * account SID, HTTP Basic auth with that SID and the auth token (401, code 20003), a form body with `To`
 * in E.164 (400, 21211), a `From` or `MessagingServiceSid` (400, 21603) and a `Body` (400, 21602). It
 * answers 201 with a message resource, or what the test scripted for the next requests.
 */
export class FakeSmsProvider {
  readonly accepted: ReceivedSms[] = [];
  /** Every request that reached it, accepted or not. */
  requests = 0;
  readonly failures: ScriptedFailure[] = [];
  authToken: string;

  private constructor(
    private readonly server: Server,
    readonly accountSid: string,
    authToken: string,
  ) {
    this.authToken = authToken;
  }

  static async start(): Promise<FakeSmsProvider> {
    const sid = `AC${randomBytes(16).toString('hex')}`;
    const token = randomBytes(16).toString('hex');
    const holder: { fake?: FakeSmsProvider } = {};
    const server = createServer((req, res) => void holder.fake!.handle(req, res));
    const fake = new FakeSmsProvider(server, sid, token);
    holder.fake = fake;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The code in the last SMS to a number. */
  codeFor(phone: string): string | undefined {
    const sms = this.accepted.filter((m) => m.to === phone).at(-1);
    return /\b(\d{6})\b/.exec(sms?.body ?? '')?.[1];
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    this.requests++;
    const answer = (status: number, body: object): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const error = (status: number, code: number, message: string): void =>
      answer(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

    const path = `/2010-04-01/Accounts/${this.accountSid}/Messages.json`;
    if (req.method !== 'POST' || req.url !== path)
      return error(404, 20404, 'The requested resource was not found');
    const expected = `Basic ${Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return error(401, 20003, 'Authenticate');
    if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded'))
      return error(400, 20001, 'Content-Type must be application/x-www-form-urlencoded');

    const scripted = this.failures.shift();
    if (scripted) {
      if (scripted.delayMs) await new Promise((r) => setTimeout(r, scripted.delayMs));
      if (!res.destroyed) error(scripted.status, scripted.code ?? 0, scripted.message ?? 'scripted failure');
      return;
    }
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const to = form.get('To') ?? '';
    const from = form.get('From') ?? undefined;
    const service = form.get('MessagingServiceSid') ?? undefined;
    const body = form.get('Body') ?? '';
    if (!E164.test(to)) return error(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (!from && !service) return error(400, 21603, "The 'From' phone number is required.");
    if (!body) return error(400, 21602, 'Message body is required.');
    const sid = `SM${randomBytes(16).toString('hex')}`;
    this.accepted.push({
      to,
      body,
      sid,
      ...(from ? { from } : {}),
      ...(service ? { messagingServiceSid: service } : {}),
    });
    answer(201, { sid, account_sid: this.accountSid, to, from, body, status: 'queued' });
  }
}
