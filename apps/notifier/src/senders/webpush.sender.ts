import { createHash } from 'node:crypto';
import webpush from 'web-push';
import type { WebPushConfig } from '../push.config.js';
import {
  classifyStatus,
  describeError,
  retryAfterMs,
  type Notification,
  type PushSender,
  type SendOutcome,
} from './push-sender.js';

/** Web Push (RFC 8030) with VAPID (RFC 8292) and an aes128gcm-encrypted payload, through `web-push`. */
export class WebPushSender implements PushSender<'webpush'> {
  readonly provider = 'webpush' as const;

  constructor(
    private readonly config: Readonly<WebPushConfig>,
    private readonly timeoutMs: number,
  ) {}

  get enabled(): boolean {
    return this.config.VAPID_PUBLIC_KEY !== '' && this.config.VAPID_PRIVATE_KEY !== '';
  }

  async send(
    token: { provider: 'webpush'; endpoint: string; p256dh: string; auth: string },
    n: Notification,
  ): Promise<SendOutcome> {
    const payload = JSON.stringify({
      title: n.title,
      body: n.body,
      count: n.count,
      conversationId: n.conversationId,
      messageId: n.messageId,
    });
    const refused = this.refusedEndpoint(token.endpoint);
    if (refused) return { kind: 'invalid-token', error: `webpush: ${refused}` };
    let request: webpush.RequestDetails;
    try {
      request = webpush.generateRequestDetails(
        { endpoint: token.endpoint, keys: { p256dh: token.p256dh, auth: token.auth } },
        payload,
        {
          vapidDetails: {
            subject: this.config.VAPID_SUBJECT,
            publicKey: this.config.VAPID_PUBLIC_KEY,
            privateKey: this.config.VAPID_PRIVATE_KEY,
          },
          TTL: 86_400,
          urgency: 'high',
          // A Topic replaces an undelivered push of the same topic: at most 32 base64url characters.
          topic: createHash('sha256').update(n.collapseKey).digest('base64url').slice(0, 32),
        },
      );
    } catch (err) {
      // The subscription's keys cannot be used to encrypt: the token is unusable.
      return { kind: 'invalid-token', error: `webpush: ${describeError(err)}` };
    }
    // Sent with fetch rather than the library's https-only request, so the timeout is ours.
    let res: Response;
    try {
      res = await fetch(request.endpoint, {
        method: 'POST',
        headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)])),
        body: request.body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      return { kind: 'retry', error: `webpush: ${describeError(err)}` };
    }
    const text = await res.text().catch(() => '');
    const error = `webpush ${res.status}: ${text.slice(0, 300)}`;
    if (res.status === 404 || res.status === 410) return { kind: 'invalid-token', error };
    return classifyStatus(res.status, error, retryAfterMs(res.headers.get('retry-after')));
  }

  /** Why the notifier will not post to this endpoint, if it will not. */
  private refusedEndpoint(endpoint: string): string | undefined {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      return 'endpoint is not a URL';
    }
    const host = url.hostname;
    const local = host === 'localhost' || host === '127.0.0.1';
    if (url.protocol !== 'https:' && !(local && url.protocol === 'http:')) return 'endpoint is not https';
    const allowed = this.config.WEBPUSH_ENDPOINT_HOSTS.some((h) => host === h || host.endsWith(`.${h}`));
    return allowed ? undefined : `endpoint host ${host} is not an allowed push service`;
  }
}
