import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { ChatStack, freshPhone } from '../support/chat-stack.js';
import { call, closeOf, postJson } from '../support/http.js';
import { eventually, type AppProcess } from '../support/app-process.js';

interface Tokens {
  userId: string;
  deviceId: string;
  accessToken: string;
  refreshToken: string;
  accessExpiresIn: number;
}

let stack: ChatStack;
let gw: AppProcess;

async function signIn(phone = freshPhone()): Promise<Tokens> {
  const code = await stack.newCode(phone, async () =>
    assert.equal((await postJson(gw, '/v1/auth/code', { phone })).status, 202),
  );
  const res = await postJson<Tokens>(gw, '/v1/auth/verify', { phone, code, deviceName: 'phone' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

describe('accounts, devices and authentication (real gateway, NATS, Redis, Cassandra)', () => {
  before(async () => {
    stack = await ChatStack.start({ overrides: { MAX_LINKED_DEVICES: '2', NODE_ENV: 'production' } });
    gw = stack.gateways[0]!;
  });
  after(() => stack.stop());

  test('signing in by phone registers the account; the code never appears in a response', async () => {
    const phone = freshPhone();
    const code = await stack.newCode(phone, async () => {
      const asked = await postJson(gw, '/v1/auth/code', { phone });
      assert.deepEqual(asked, { status: 202, body: { expiresInSeconds: 300 } });
    });
    const res = await postJson<Tokens>(gw, '/v1/auth/verify', { phone, code, deviceName: 'Pixel' });
    assert.equal(res.status, 200);
    assert.match(res.body.userId, /^u[0-9a-f]{24}$/);
    assert.ok(!JSON.stringify(res.body).includes(code));
    const devices = await call<{ devices: Array<{ kind: string; name: string }> }>(
      gw,
      'GET',
      '/v1/devices',
      res.body.accessToken,
    );
    assert.deepEqual(
      devices.body.devices.map((d) => [d.kind, d.name]),
      [['primary', 'Pixel']],
    );
  });

  test('wrong codes use up attempts, then the code is gone; codes are one-time', async () => {
    const phone = freshPhone();
    const code = await stack.newCode(phone, () => postJson(gw, '/v1/auth/code', { phone }));
    const wrong = code === '000000' ? '111111' : '000000';
    const first = await postJson<{ error: { code: string; details: { attemptsLeft: number } } }>(
      gw,
      '/v1/auth/verify',
      { phone, code: wrong, deviceName: 'x' },
    );
    assert.equal(first.status, 400);
    assert.equal(first.body.error.code, 'CODE_INVALID');
    assert.equal(first.body.error.details.attemptsLeft, 4);
    for (let i = 0; i < 4; i++)
      await postJson(gw, '/v1/auth/verify', { phone, code: wrong, deviceName: 'x' });
    const late = await postJson<{ error: { code: string } }>(gw, '/v1/auth/verify', {
      phone,
      code,
      deviceName: 'x',
    });
    assert.equal(
      late.body.error.code,
      'CODE_INVALID',
      'the right code no longer works after too many wrong ones',
    );
  });

  test('bad input gets VALIDATION_FAILED naming the field', async () => {
    const res = await postJson<{ error: { code: string; message: string } }>(gw, '/v1/auth/code', {
      phone: '5550101',
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'VALIDATION_FAILED');
    assert.match(res.body.error.message, /phone: must be an E\.164/);
    const extra = await postJson<{ error: { code: string } }>(gw, '/v1/auth/code', {
      phone: '+14155550100',
      admin: true,
    });
    assert.equal(extra.body.error.code, 'VALIDATION_FAILED');
  });

  test("refresh tokens rotate; presenting a used one revokes the device's tokens", async () => {
    const t = await signIn();
    const next = await postJson<Tokens>(gw, '/v1/auth/refresh', { refreshToken: t.refreshToken });
    assert.equal(next.status, 200);
    assert.notEqual(next.body.refreshToken, t.refreshToken);
    const reuse = await postJson<{ error: { code: string } }>(gw, '/v1/auth/refresh', {
      refreshToken: t.refreshToken,
    });
    assert.equal(reuse.status, 401);
    const afterReuse = await postJson<{ error: { code: string } }>(gw, '/v1/auth/refresh', {
      refreshToken: next.body.refreshToken,
    });
    assert.equal(afterReuse.status, 401, 'the rotated token died with the reuse');
  });

  test('linked devices up to the limit, then DEVICE_LIMIT; only the primary makes link codes', async () => {
    const t = await signIn();
    const linked: Tokens[] = [];
    for (let i = 0; i < 2; i++) {
      const { body } = await postJson<{ code: string }>(gw, '/v1/devices/link-code', {}, t.accessToken);
      const res = await postJson<Tokens>(gw, '/v1/auth/link', { code: body.code, deviceName: `laptop${i}` });
      assert.equal(res.status, 200);
      assert.equal(res.body.userId, t.userId);
      linked.push(res.body);
    }
    const { body } = await postJson<{ code: string }>(gw, '/v1/devices/link-code', {}, t.accessToken);
    const third = await postJson<{ error: { code: string; details: { limit: number } } }>(
      gw,
      '/v1/auth/link',
      { code: body.code, deviceName: 'tablet' },
    );
    assert.equal(third.status, 409);
    assert.deepEqual([third.body.error.code, third.body.error.details.limit], ['DEVICE_LIMIT', 2]);
    const fromLinked = await postJson<{ error: { code: string } }>(
      gw,
      '/v1/devices/link-code',
      {},
      linked[0]!.accessToken,
    );
    assert.equal(fromLinked.body.error.code, 'FORBIDDEN');
  });

  test('the WebSocket handshake refuses missing, bad and expired tokens with clear codes', async () => {
    const url = stack.wsUrl(gw);
    assert.deepEqual(await closeOf(url), { code: 4401, reason: 'UNAUTHENTICATED' });
    assert.deepEqual(await closeOf(url, { authorization: 'Bearer nonsense' }), {
      code: 4401,
      reason: 'UNAUTHENTICATED',
    });
    const t = await signIn();
    const expired = await new SignJWT({ did: t.deviceId })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(t.userId)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(stack.env.vars.JWT_SECRET));
    assert.deepEqual(await closeOf(url, { authorization: `Bearer ${expired}` }), {
      code: 4401,
      reason: 'TOKEN_EXPIRED',
    });
    assert.equal(
      await closeOf(`${url}?access_token=${t.accessToken}`),
      'open',
      'browsers may pass the token in the query',
    );
  });

  test('removing a device revokes its tokens, closes its socket and refuses it afterwards', async () => {
    const t = await signIn();
    const { body } = await postJson<{ code: string }>(gw, '/v1/devices/link-code', {}, t.accessToken);
    const laptop = (await postJson<Tokens>(gw, '/v1/auth/link', { code: body.code, deviceName: 'laptop' }))
      .body;
    const url = stack.wsUrl(gw);
    // The laptop's socket is live once the gateway answers a frame on it: then the removal must close it.
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${laptop.accessToken}` } });
    ws.on('error', () => undefined);
    const open = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    await once(ws, 'open');
    ws.send(JSON.stringify({ type: 'ping', id: 'live', data: {} }));
    await once(ws, 'message');
    assert.equal((await call(gw, 'DELETE', `/v1/devices/${laptop.deviceId}`, t.accessToken)).status, 204);
    assert.deepEqual(await open, { code: 4403, reason: 'DEVICE_REVOKED' });
    assert.deepEqual(await closeOf(url, { authorization: `Bearer ${laptop.accessToken}` }), {
      code: 4403,
      reason: 'DEVICE_REVOKED',
    });
    assert.equal((await postJson(gw, '/v1/auth/refresh', { refreshToken: laptop.refreshToken })).status, 401);
    const devices = await call<{ devices: Array<{ deviceId: string }> }>(
      gw,
      'GET',
      '/v1/devices',
      t.accessToken,
    );
    assert.deepEqual(
      devices.body.devices.map((d) => d.deviceId),
      [t.deviceId],
    );
  });

  test('signing in again on a new phone replaces the old primary', async () => {
    const phone = freshPhone();
    const first = await signIn(phone);
    const second = await signIn(phone);
    assert.equal(second.userId, first.userId);
    const devices = await call<{ devices: Array<{ deviceId: string; kind: string }> }>(
      gw,
      'GET',
      '/v1/devices',
      second.accessToken,
    );
    assert.deepEqual(
      devices.body.devices.map((d) => [d.deviceId, d.kind]),
      [[second.deviceId, 'primary']],
    );
    assert.equal((await call(gw, 'GET', '/v1/devices', first.accessToken)).status, 401);
  });

  test('contact lookup finds registered phones only', async () => {
    const phone = freshPhone();
    const t = await signIn(phone);
    const stranger = freshPhone();
    let users: Array<{ phone: string; userId: string }> = [];
    await eventually(
      async () => {
        users = (
          await postJson<{ users: typeof users }>(
            gw,
            '/v1/users/lookup',
            { phones: [phone, stranger] },
            t.accessToken,
          )
        ).body.users;
        return users.length > 0;
      },
      10_000,
      'the projector wrote the phone index',
    );
    assert.deepEqual(users, [{ phone, userId: t.userId }]);
    assert.equal((await postJson(gw, '/v1/users/lookup', { phones: [phone] })).status, 401);
  });
});
