import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import WebSocket from 'ws';
import { AppProcess, eventually } from '../support/app-process.js';
import { ChatStack, freshPhone } from '../support/chat-stack.js';

const dir = mkdtempSync(join(tmpdir(), 'gateway-tls-'));
const certFile = join(dir, 'gateway.crt');
const keyFile = join(dir, 'gateway.key');
let stack: ChatStack;

/** A self-signed certificate for 127.0.0.1 and localhost, made by openssl; returns its files. */
function makeCertificate(name: string): { cert: string; key: string; fingerprint: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  return { cert, key, fingerprint: new X509Certificate(readFileSync(cert)).fingerprint256 };
}

/** Puts a certificate in place the way a rotation does: each file renamed over the old one. */
function install(c: { cert: string; key: string }): void {
  copyFileSync(c.key, `${keyFile}.new`);
  copyFileSync(c.cert, `${certFile}.new`);
  renameSync(`${keyFile}.new`, keyFile);
  renameSync(`${certFile}.new`, certFile);
}

function request(
  url: string,
  opts: { method?: string; body?: unknown; ca?: Buffer } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: opts.method ?? 'GET',
        ...(opts.ca ? { ca: opts.ca } : {}),
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as never) : {} });
        });
      },
    );
    req.on('error', reject);
    req.end(opts.body === undefined ? undefined : JSON.stringify(opts.body));
  });
}

/** The fingerprint of the certificate the gateway presents to a new connection. */
function servedFingerprint(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
}

const first = makeCertificate('first');

describe('the gateway serves HTTPS and WSS with a configured certificate', () => {
  before(async () => {
    install(first);
    stack = await ChatStack.start({ overrides: { TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile } });
  });
  after(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('HTTPS and WSS work for a client that trusts the certificate; plain HTTP and untrusting clients get nothing', async () => {
    const gateway = stack.gateways[0]!;
    assert.match(gateway.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = readFileSync(first.cert);
    const phone = freshPhone();
    const code = await stack.newCode(phone, async () => {
      const res = await request(`${gateway.url}/v1/auth/code`, { method: 'POST', body: { phone }, ca });
      assert.equal(res.status, 202, JSON.stringify(res.body));
    });
    const verified = await request(`${gateway.url}/v1/auth/verify`, {
      method: 'POST',
      body: { phone, code, deviceName: 'tls' },
      ca,
    });
    const accessToken = verified.body.accessToken as string;
    assert.ok(accessToken, JSON.stringify(verified.body));

    const ws = new WebSocket(`${gateway.url.replace(/^https/, 'wss')}/v1/ws`, {
      ca,
      headers: { authorization: `Bearer ${accessToken}` },
    });
    const answer = await new Promise<{ type: string; id: string }>((resolve, reject) => {
      ws.once('open', () => ws.send(JSON.stringify({ type: 'ping', id: 'p1', data: {} })));
      ws.once('message', (raw) => resolve(JSON.parse(raw.toString()) as { type: string; id: string }));
      ws.once('error', reject);
    });
    ws.close();
    assert.deepEqual([answer.type, answer.id], ['result', 'p1']);

    await assert.rejects(request(`${gateway.url}/v1/auth/code`), /self[- ]signed/i);
    await assert.rejects(fetch(`${gateway.url.replace(/^https/, 'http')}/v1/auth/code`));
  });

  test('a renewed certificate is served without a restart (file change or SIGHUP); a broken pair keeps the current one', async () => {
    const gateway = stack.gateways[0]!;
    const port = Number(new URL(gateway.url).port);
    assert.equal(await servedFingerprint(port, readFileSync(first.cert)), first.fingerprint);

    const second = makeCertificate('second');
    install(second);
    const ca = readFileSync(second.cert);
    await eventually(
      async () => (await servedFingerprint(port, ca)) === second.fingerprint,
      15_000,
      'the renewed certificate served',
    );

    // A key that is not the certificate's (a rotation caught halfway): refused, the current pair stays.
    const third = makeCertificate('third');
    const mark = gateway.output.length;
    copyFileSync(third.cert, `${certFile}.new`);
    renameSync(`${certFile}.new`, certFile);
    gateway.child.kill('SIGHUP');
    await eventually(
      async () => gateway.output.slice(mark).join('').includes('TLS certificate not reloaded'),
      15_000,
      'the broken pair refused',
    );
    assert.equal(await servedFingerprint(port, ca), second.fingerprint);
    assert.equal(gateway.child.exitCode, null, 'SIGHUP does not stop the gateway');

    install(third);
    gateway.child.kill('SIGHUP');
    await eventually(
      async () => (await servedFingerprint(port, readFileSync(third.cert))) === third.fingerprint,
      15_000,
      'the third certificate served after SIGHUP',
    );
  });

  test('a key that does not match the certificate stops the gateway at boot with a config error', async () => {
    const mismatched = makeCertificate('mismatched');
    const err = await AppProcess.start('gateway', {
      ...stack.env.vars,
      TLS_CERT_FILE: mismatched.cert,
      TLS_KEY_FILE: first.key,
    }).then(
      async (g) => {
        await g.stop('SIGKILL');
        return 'started';
      },
      (e: unknown) => String(e),
    );
    assert.match(err, /exited with 78/);
    assert.match(err, /TLS_CERT_FILE\/TLS_KEY_FILE do not load/);
  });
});
