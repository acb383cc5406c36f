import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { importPKCS8, SignJWT } from 'jose';
import type { ApnsConfig } from '../push.config.js';
import {
  classifyStatus,
  describeError,
  pemFromEnv,
  retryAfterMs,
  type Notification,
  type PushSender,
  type SendOutcome,
} from './push-sender.js';

/** Apple refuses a provider token older than an hour and throttles refreshes faster than 20 minutes. */
const PROVIDER_TOKEN_TTL_MS = 40 * 60_000;

/**
 * APNs over HTTP/2: one long-lived session per host (production, sandbox), an ES256 provider token
 * (the team's .p8 key) in every request, collapse by conversation.
 */
export class ApnsSender implements PushSender<'apns'> {
  readonly provider = 'apns' as const;
  private readonly sessions = new Map<string, ClientHttp2Session>();
  private providerToken?: { value: string; at: number };

  constructor(
    private readonly config: Readonly<ApnsConfig>,
    private readonly timeoutMs: number,
  ) {}

  get enabled(): boolean {
    return this.config.APNS_KEY_ID !== '' && this.config.APNS_PRIVATE_KEY !== '';
  }

  async send(
    token: { provider: 'apns'; token: string; environment: 'sandbox' | 'production' },
    n: Notification,
  ): Promise<SendOutcome> {
    const origin =
      token.environment === 'production' ? this.config.APNS_PRODUCTION_URL : this.config.APNS_SANDBOX_URL;
    const payload = JSON.stringify({
      aps: {
        alert: { title: n.title, body: n.body },
        badge: n.count,
        sound: 'default',
        'thread-id': n.collapseKey,
      },
      conversationId: n.conversationId,
      messageId: n.messageId,
      count: n.count,
    });
    try {
      const jwt = await this.jwt();
      const { status, headers, body } = await this.request(
        origin,
        {
          [constants.HTTP2_HEADER_METHOD]: 'POST',
          [constants.HTTP2_HEADER_PATH]: `/3/device/${token.token}`,
          authorization: `bearer ${jwt}`,
          'apns-topic': this.config.APNS_TOPIC,
          'apns-push-type': 'alert',
          'apns-priority': '10',
          'apns-collapse-id': n.collapseKey.slice(0, 64),
          'content-type': 'application/json',
        },
        payload,
      );
      const reason = safeReason(body);
      const error = `apns ${status}: ${reason}`;
      if (
        status === 410 ||
        reason === 'BadDeviceToken' ||
        reason === 'Unregistered' ||
        reason === 'DeviceTokenNotForTopic'
      )
        return { kind: 'invalid-token', error };
      if (status === 403 && reason === 'ExpiredProviderToken') {
        this.providerToken = undefined;
        return { kind: 'retry', error };
      }
      return classifyStatus(status, error, retryAfterMs(headers['retry-after'] as string | undefined));
    } catch (err) {
      return { kind: 'retry', error: `apns: ${describeError(err)}` };
    }
  }

  private request(
    origin: string,
    headers: Record<string, string>,
    payload: string,
  ): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
    const session = this.session(origin);
    return new Promise((resolve, reject) => {
      const req = session.request(headers);
      const timer = setTimeout(() => {
        req.close(constants.NGHTTP2_CANCEL);
        reject(new Error(`timeout after ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      let status = 0;
      let responseHeaders: Record<string, unknown> = {};
      const chunks: Buffer[] = [];
      req.on('response', (h) => {
        status = Number(h[constants.HTTP2_HEADER_STATUS]);
        responseHeaders = h;
      });
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        clearTimeout(timer);
        resolve({ status, headers: responseHeaders, body: Buffer.concat(chunks).toString('utf8') });
      });
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.end(payload);
    });
  }

  private session(origin: string): ClientHttp2Session {
    const existing = this.sessions.get(origin);
    if (existing && !existing.closed && !existing.destroyed) return existing;
    const session = connect(origin);
    const forget = (): void => {
      if (this.sessions.get(origin) === session) this.sessions.delete(origin);
    };
    session.on('error', forget);
    session.on('close', forget);
    session.on('goaway', forget);
    session.unref();
    this.sessions.set(origin, session);
    return session;
  }

  private async jwt(): Promise<string> {
    if (this.providerToken && Date.now() - this.providerToken.at < PROVIDER_TOKEN_TTL_MS)
      return this.providerToken.value;
    const key = await importPKCS8(pemFromEnv(this.config.APNS_PRIVATE_KEY), 'ES256');
    const value = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: this.config.APNS_KEY_ID })
      .setIssuer(this.config.APNS_TEAM_ID)
      .setIssuedAt()
      .sign(key);
    this.providerToken = { value, at: Date.now() };
    return value;
  }

  close(): void {
    for (const s of this.sessions.values()) s.close();
    this.sessions.clear();
  }
}

function safeReason(body: string): string {
  try {
    const reason = (JSON.parse(body) as { reason?: unknown }).reason;
    return typeof reason === 'string' ? reason : '';
  } catch {
    return '';
  }
}
