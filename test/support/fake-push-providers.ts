import { createECDH, generateKeyPairSync, randomBytes, type ECDH } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createH2Server, constants, type Http2Server } from 'node:http2';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { decodeJwt, decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';
import webpush from 'web-push';

/** One push a local provider accepted (or refused), with its payload as the device would read it. */
export interface ReceivedPush {
  readonly provider: 'fcm' | 'apns' | 'webpush';
  readonly token: string;
  readonly status: number;
  readonly title?: string;
  readonly body?: string;
  readonly count?: number;
  readonly messageId?: string;
  readonly collapseKey?: string;
  readonly at: number;
}

/** How a provider answers a token: tokens are named by the behaviour the test wants. */
function behaviour(token: string): 'ok' | 'dead' | 'flaky' {
  if (token.includes('dead')) return 'dead';
  if (token.includes('flaky')) return 'flaky';
  return 'ok';
}

/** A token named slow is answered after this delay (the push counts as received on arrival). */
const SLOW_MS = 300;

const ece = createRequire(import.meta.url)('http_ece') as {
  decrypt(buf: Buffer, o: { version: string; privateKey: ECDH; authSecret: string }): Buffer;
};

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Local stand-ins for FCM (OAuth2 token endpoint + HTTP v1 messages:send), APNs (HTTP/2, h2c) and a Web
 * Push service, with real credentials generated here: each verifies the auth it gets (service-account
 * JWT, bearer access token, ES256 provider token, VAPID JWT) and decrypts or parses the payload.
 */
export class FakePushProviders {
  readonly received: ReceivedPush[] = [];
  readonly rejectedAuth: string[] = [];
  private http!: Server;
  private h2!: Http2Server;
  private readonly accessToken = randomBytes(16).toString('hex');
  private readonly fcmKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly apnsKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  private readonly vapid = webpush.generateVAPIDKeys();
  /** Web Push subscriptions the "browser" created: endpoint token -> its private key and auth secret. */
  private readonly browsers = new Map<string, { ecdh: ECDH; auth: string }>();
  httpUrl = '';
  h2Url = '';

  static async start(): Promise<FakePushProviders> {
    const p = new FakePushProviders();
    p.http = createServer((req, res) => {
      void p.onHttp(req).then(
        ({ status, body, headers }) => {
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(body);
        },
        (err: unknown) => {
          res.writeHead(500);
          res.end(String(err));
        },
      );
    });
    p.h2 = createH2Server();
    p.h2.on('stream', (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        void p.onApns(headers, Buffer.concat(chunks)).then(({ status, body }) => {
          stream.respond({ [constants.HTTP2_HEADER_STATUS]: status, 'content-type': 'application/json' });
          stream.end(body);
        });
      });
    });
    await new Promise<void>((r) => p.http.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => p.h2.listen(0, '127.0.0.1', r));
    p.httpUrl = `http://127.0.0.1:${(p.http.address() as AddressInfo).port}`;
    p.h2Url = `http://127.0.0.1:${(p.h2.address() as AddressInfo).port}`;
    return p;
  }

  /** The notifier's environment pointing at these servers, with their credentials. */
  notifierVars(): Record<string, string> {
    const pem = (k: import('node:crypto').KeyObject): string =>
      k.export({ type: 'pkcs8', format: 'pem' }).toString().replace(/\n/g, '\\n');
    return {
      FCM_PROJECT_ID: 'test-project',
      FCM_CLIENT_EMAIL: 'notifier@test-project.iam.gserviceaccount.com',
      FCM_PRIVATE_KEY: pem(this.fcmKeys.privateKey),
      FCM_TOKEN_URL: `${this.httpUrl}/token`,
      FCM_ENDPOINT: this.httpUrl,
      APNS_KEY_ID: 'KEY1234567',
      APNS_TEAM_ID: 'TEAM123456',
      APNS_PRIVATE_KEY: pem(this.apnsKeys.privateKey),
      APNS_TOPIC: 'com.example.chat',
      APNS_PRODUCTION_URL: this.h2Url,
      APNS_SANDBOX_URL: this.h2Url,
      VAPID_PUBLIC_KEY: this.vapid.publicKey,
      VAPID_PRIVATE_KEY: this.vapid.privateKey,
      VAPID_SUBJECT: 'mailto:test@example.com',
      WEBPUSH_ENDPOINT_HOSTS: '127.0.0.1',
    };
  }

  /** A browser's push subscription at this Web Push service. */
  webPushSubscription(name: string): { endpoint: string; keys: { p256dh: string; auth: string } } {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const auth = randomBytes(16).toString('base64url');
    this.browsers.set(name, { ecdh, auth });
    return {
      endpoint: `${this.httpUrl}/wp/${name}`,
      keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth },
    };
  }

  of(token: string): ReceivedPush[] {
    return this.received.filter((r) => r.token === token);
  }

  accepted(token: string): ReceivedPush[] {
    return this.of(token).filter((r) => r.status === 200 || r.status === 201);
  }

  private async onHttp(
    req: IncomingMessage,
  ): Promise<{ status: number; body: string; headers?: Record<string, string> }> {
    const raw = await readBody(req);
    const url = req.url ?? '';
    if (url === '/token') {
      const form = new URLSearchParams(raw.toString());
      const assertion = form.get('assertion') ?? '';
      try {
        const key = await importSPKI(
          this.fcmKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
          'RS256',
        );
        const { payload } = await jwtVerify(assertion, key, { audience: `${this.httpUrl}/token` });
        if (payload.scope !== 'https://www.googleapis.com/auth/firebase.messaging') throw new Error('scope');
        if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
          throw new Error('grant');
      } catch (err) {
        this.rejectedAuth.push(`fcm-token: ${String(err)}`);
        return { status: 400, body: '{"error":"invalid_grant"}' };
      }
      return { status: 200, body: JSON.stringify({ access_token: this.accessToken, expires_in: 3600 }) };
    }
    if (url === '/v1/projects/test-project/messages:send') {
      if (req.headers.authorization !== `Bearer ${this.accessToken}`) {
        this.rejectedAuth.push('fcm: bad bearer');
        return { status: 401, body: '{"error":{"status":"UNAUTHENTICATED"}}' };
      }
      const { message } = JSON.parse(raw.toString()) as {
        message: {
          token: string;
          notification: { title: string; body: string };
          data: { messageId: string; count: string };
          android: { collapse_key: string };
        };
      };
      const status = { ok: 200, dead: 404, flaky: 503 }[behaviour(message.token)];
      this.received.push({
        provider: 'fcm',
        token: message.token,
        status,
        title: message.notification.title,
        body: message.notification.body,
        count: Number(message.data.count),
        messageId: message.data.messageId,
        collapseKey: message.android.collapse_key,
        at: Date.now(),
      });
      if (message.token.includes('slow')) await new Promise((r) => setTimeout(r, SLOW_MS));
      if (status === 404)
        return { status, body: '{"error":{"status":"NOT_FOUND","details":[{"errorCode":"UNREGISTERED"}]}}' };
      if (status === 503)
        return { status, body: '{"error":{"status":"UNAVAILABLE"}}', headers: { 'retry-after': '0' } };
      return { status, body: '{"name":"projects/test-project/messages/1"}' };
    }
    if (url.startsWith('/wp/')) {
      const name = url.slice(4);
      const browser = this.browsers.get(name);
      const auth = req.headers.authorization ?? '';
      const m = /^vapid t=([^,]+), k=(.+)$/.exec(auth);
      if (!browser || !m || m[2] !== this.vapid.publicKey || decodeJwt(m[1]!).aud !== this.httpUrl) {
        this.rejectedAuth.push(`webpush: ${auth.slice(0, 40)}`);
        return { status: 401, body: '' };
      }
      if (decodeProtectedHeader(m[1]!).alg !== 'ES256' || req.headers['content-encoding'] !== 'aes128gcm')
        return { status: 400, body: '' };
      const payload = JSON.parse(
        ece
          .decrypt(raw, { version: 'aes128gcm', privateKey: browser.ecdh, authSecret: browser.auth })
          .toString(),
      ) as { title: string; body: string; count: number; messageId: string };
      const status = { ok: 201, dead: 410, flaky: 503 }[behaviour(name)];
      this.received.push({
        provider: 'webpush',
        token: name,
        status,
        ...payload,
        collapseKey: String(req.headers.topic),
        at: Date.now(),
      });
      return { status, body: '' };
    }
    return { status: 404, body: '' };
  }

  private async onApns(
    headers: import('node:http2').IncomingHttpHeaders,
    raw: Buffer,
  ): Promise<{ status: number; body: string }> {
    const path = String(headers[constants.HTTP2_HEADER_PATH]);
    const token = path.replace('/3/device/', '');
    try {
      const jwt = String(headers.authorization).replace(/^bearer /, '');
      const key = await importSPKI(
        this.apnsKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        'ES256',
      );
      const { payload, protectedHeader } = await jwtVerify(jwt, key, { issuer: 'TEAM123456' });
      if (protectedHeader.kid !== 'KEY1234567' || typeof payload.iat !== 'number') throw new Error('kid/iat');
      if (headers['apns-topic'] !== 'com.example.chat' || headers['apns-push-type'] !== 'alert')
        throw new Error('topic');
    } catch (err) {
      this.rejectedAuth.push(`apns: ${String(err)}`);
      return { status: 403, body: '{"reason":"InvalidProviderToken"}' };
    }
    const body = JSON.parse(raw.toString()) as {
      aps: { alert: { title: string; body: string } };
      count: number;
      messageId: string;
    };
    const status = { ok: 200, dead: 410, flaky: 500 }[behaviour(token)];
    this.received.push({
      provider: 'apns',
      token,
      status,
      title: body.aps.alert.title,
      body: body.aps.alert.body,
      count: body.count,
      messageId: body.messageId,
      collapseKey: String(headers['apns-collapse-id']),
      at: Date.now(),
    });
    if (status === 410) return { status, body: '{"reason":"Unregistered","timestamp":0}' };
    if (status === 500) return { status, body: '{"reason":"InternalServerError"}' };
    return { status, body: '' };
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.http.close(() => r()));
    this.http.closeAllConnections();
    await new Promise<void>((r) => this.h2.close(() => r()));
  }
}
