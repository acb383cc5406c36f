import { importPKCS8, SignJWT } from 'jose';
import type { FcmConfig } from '../push.config.js';
import {
  classifyStatus,
  describeError,
  pemFromEnv,
  retryAfterMs,
  type Notification,
  type PushSender,
  type SendOutcome,
} from './push-sender.js';

const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';

/**
 * FCM HTTP v1: a service-account JWT (RS256) is exchanged for an OAuth2 access token at the token
 * endpoint, cached until shortly before it expires, then messages:send per device.
 */
export class FcmSender implements PushSender<'fcm'> {
  readonly provider = 'fcm' as const;
  private accessToken?: { value: string; expiresAt: number };
  private pending?: Promise<string>;

  constructor(
    private readonly config: Readonly<FcmConfig>,
    private readonly timeoutMs: number,
  ) {}

  get enabled(): boolean {
    return this.config.FCM_PROJECT_ID !== '' && this.config.FCM_PRIVATE_KEY !== '';
  }

  async send(token: { provider: 'fcm'; token: string }, n: Notification): Promise<SendOutcome> {
    let access: string;
    try {
      access = await this.token();
    } catch (err) {
      return { kind: 'retry', error: `oauth: ${describeError(err)}` };
    }
    const url = `${this.config.FCM_ENDPOINT}/v1/projects/${encodeURIComponent(this.config.FCM_PROJECT_ID)}/messages:send`;
    const data = { conversationId: n.conversationId, messageId: n.messageId, count: String(n.count) };
    const message = {
      token: token.token,
      notification: { title: n.title, body: n.body },
      data,
      android: {
        collapse_key: n.collapseKey,
        notification: { tag: n.collapseKey, notification_count: n.count },
      },
      apns: { headers: { 'apns-collapse-id': n.collapseKey } },
    };
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${access}`, 'content-type': 'application/json' },
        body: JSON.stringify({ message }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      return { kind: 'retry', error: describeError(err) };
    }
    const text = await res.text().catch(() => '');
    if (res.status === 401) this.accessToken = undefined; // refresh on the next attempt
    const error = `fcm ${res.status}: ${text.slice(0, 300)}`;
    // UNREGISTERED (404) or an INVALID_ARGUMENT naming the token: the token is dead.
    if (res.status === 404 || /UNREGISTERED/.test(text)) return { kind: 'invalid-token', error };
    if (res.status === 400 && /registration token/i.test(text)) return { kind: 'invalid-token', error };
    if (res.status === 401) return { kind: 'retry', error };
    return classifyStatus(res.status, error, retryAfterMs(res.headers.get('retry-after')));
  }

  private async token(): Promise<string> {
    if (this.accessToken && this.accessToken.expiresAt > Date.now() + 60_000) return this.accessToken.value;
    this.pending ??= this.fetchToken().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async fetchToken(): Promise<string> {
    const key = await importPKCS8(pemFromEnv(this.config.FCM_PRIVATE_KEY), 'RS256');
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ scope: SCOPE })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuer(this.config.FCM_CLIENT_EMAIL)
      .setSubject(this.config.FCM_CLIENT_EMAIL)
      .setAudience(this.config.FCM_TOKEN_URL)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(key);
    const res = await fetch(this.config.FCM_TOKEN_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) throw new Error(`token endpoint ${res.status}`);
    const body = (await res.json()) as { access_token?: unknown; expires_in?: unknown };
    if (typeof body.access_token !== 'string') throw new Error('token endpoint gave no access_token');
    const ttl = typeof body.expires_in === 'number' ? body.expires_in : 3600;
    this.accessToken = { value: body.access_token, expiresAt: Date.now() + ttl * 1000 };
    return body.access_token;
  }
}
