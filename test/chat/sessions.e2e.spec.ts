import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { ChatStack } from '../support/chat-stack.js';
import { linkDevice, signUp } from '../support/chat-users.js';
import { FrameSocket, type Answer } from '../support/frame-socket.js';
import { call, closeOf, postJson } from '../support/http.js';

/**
 * Sessions and budgets across gateways (issue 14, items 9, 10 and 15): two real gateway processes on
 * the shared NATS, Redis and Cassandra. Budgets are small here so a few dozen frames cross them: a
 * device 40 units at once (2/s back), an account 50 (2/s back).
 */
let stack: ChatStack;

const RATE = 2;
const DEVICE_BURST = 40;
const ACCOUNT_BURST = 50;

/** Fires `n` pings on each socket at once; counts results and refusals. */
async function pingFlood(sockets: FrameSocket[], n: number): Promise<{ ok: number; limited: Answer[] }> {
  const answers = await Promise.all(
    sockets.flatMap((s) => Array.from({ length: n }, () => s.request('ping'))),
  );
  return {
    ok: answers.filter((a) => a.type === 'result').length,
    limited: answers.filter((a) => a.error?.code === 'RATE_LIMITED'),
  };
}

describe('sessions and budgets shared by every gateway (two gateways)', () => {
  before(async () => {
    stack = await ChatStack.start({
      gateways: 2,
      overrides: {
        RATE_LIMIT_FRAMES_PER_SECOND: String(RATE),
        RATE_LIMIT_BURST: String(DEVICE_BURST),
        RATE_LIMIT_ACCOUNT_PER_SECOND: String(RATE),
        RATE_LIMIT_ACCOUNT_BURST: String(ACCOUNT_BURST),
        MAX_SOCKETS_PER_DEVICE: '2',
        CONVERSATIONS_PER_HOUR: '3',
      },
    });
  });
  after(() => stack.stop());

  test('reusing a refresh token ends the session: sockets close with 4401 on both gateways, access tokens fail', async () => {
    const [gw1, gw2] = [stack.gateways[0]!, stack.gateways[1]!];
    const victim = await signUp(stack);
    const stolen = victim.tokens.refreshToken;
    const s1 = await FrameSocket.open(stack.wsUrl(gw1), victim.tokens.accessToken);
    const s2 = await FrameSocket.open(stack.wsUrl(gw2), victim.tokens.accessToken);
    assert.equal((await s1.request('ping')).type, 'result');
    assert.equal((await s2.request('ping')).type, 'result');

    const rotated = await postJson<{ accessToken: string; refreshToken: string }>(gw1, '/v1/auth/refresh', {
      refreshToken: stolen,
    });
    assert.equal(rotated.status, 200);
    const reuse = await postJson<{ error: { code: string } }>(gw2, '/v1/auth/refresh', {
      refreshToken: stolen,
    });
    assert.equal(reuse.status, 401);
    assert.equal(reuse.body.error.code, 'UNAUTHENTICATED');

    assert.deepEqual(await s1.closedWithin(10_000), { code: 4401, reason: 'SESSION_ENDED' });
    assert.deepEqual(await s2.closedWithin(10_000), { code: 4401, reason: 'SESSION_ENDED' });
    for (const token of [victim.tokens.accessToken, rotated.body.accessToken]) {
      for (const gw of [gw1, gw2]) {
        const res = await call<{ error: { code: string } }>(gw, 'GET', '/v1/devices', token);
        assert.equal(res.status, 401, 'the access token no longer works on HTTP');
        assert.equal(res.body.error.code, 'UNAUTHENTICATED');
        const ws = await closeOf(stack.wsUrl(gw), { authorization: `Bearer ${token}` });
        assert.deepEqual(ws, { code: 4401, reason: 'UNAUTHENTICATED' }, 'nor on a new socket');
      }
    }
    const later = await postJson(gw1, '/v1/auth/refresh', { refreshToken: rotated.body.refreshToken });
    assert.equal(later.status, 401, 'the rotated refresh token was revoked too');
  });

  test('validly signed tokens whose sub or did is not an id (a.b, *, >) are refused as UNAUTHENTICATED', async () => {
    const gw = stack.gateways[0]!;
    const key = new TextEncoder().encode(stack.env.vars.JWT_SECRET);
    const real = await signUp(stack);
    const forge = (sub: string, did: string): Promise<string> =>
      new SignJWT({ did })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(sub)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(key);
    const claims: Array<[string, string]> = [
      ['a.b', real.deviceId],
      ['*', real.deviceId],
      ['>', real.deviceId],
      [`${real.userId}.>`, real.deviceId],
      [real.userId, '*'],
      [real.userId, 'd.x'],
      [real.userId, '>'],
      ['', real.deviceId],
    ];
    for (const [sub, did] of claims) {
      const token = await forge(sub, did);
      const res = await call<{ error: { code: string } }>(gw, 'GET', '/v1/devices', token);
      assert.equal(res.status, 401, `HTTP refuses sub=${sub} did=${did}`);
      assert.equal(res.body.error.code, 'UNAUTHENTICATED');
      assert.deepEqual(
        await closeOf(stack.wsUrl(gw), { authorization: `Bearer ${token}` }),
        { code: 4401, reason: 'UNAUTHENTICATED' },
        `WS refuses sub=${sub} did=${did}`,
      );
    }
  });

  test('a new socket beyond the cap closes the device oldest one (4409), also on another gateway', async () => {
    const [gw1, gw2] = [stack.gateways[0]!, stack.gateways[1]!];
    const device = await signUp(stack);
    const oldest = await FrameSocket.open(stack.wsUrl(gw2), device.tokens.accessToken);
    assert.equal((await oldest.request('ping')).type, 'result');
    const second = await FrameSocket.open(stack.wsUrl(gw1), device.tokens.accessToken);
    assert.equal((await second.request('ping')).type, 'result');
    const third = await FrameSocket.open(stack.wsUrl(gw1), device.tokens.accessToken);
    assert.equal((await third.request('ping')).type, 'result');
    assert.deepEqual(await oldest.closedWithin(10_000), { code: 4409, reason: 'SESSION_REPLACED' });
    assert.ok(second.isOpen && third.isOpen, 'the two newest stay');
    second.close();
    third.close();
  });

  test('two sockets of one device on two gateways share one budget', async () => {
    const [gw1, gw2] = [stack.gateways[0]!, stack.gateways[1]!];
    const device = await signUp(stack);
    const sockets = [
      await FrameSocket.open(stack.wsUrl(gw1), device.tokens.accessToken),
      await FrameSocket.open(stack.wsUrl(gw2), device.tokens.accessToken),
    ];
    const started = performance.now();
    const { ok, limited } = await pingFlood(sockets, 30);
    const seconds = (performance.now() - started) / 1000;
    assert.ok(
      ok <= DEVICE_BURST + Math.ceil(RATE * seconds) + 1,
      `${ok} of 60 pings passed: one device budget (${DEVICE_BURST} + ${RATE}/s), not one per socket`,
    );
    assert.ok(limited.length > 0);
    assert.ok(
      limited.every((a) => typeof (a.error?.details as { retryAfterMs?: number }).retryAfterMs === 'number'),
    );
    for (const s of sockets) s.close();
  });

  test('a frame costs what it asks for: two syncs spend the budget forty pings would', async () => {
    const device = await signUp(stack);
    const socket = await FrameSocket.open(stack.wsUrls[0]!, device.tokens.accessToken);
    assert.equal((await socket.request('sync')).type, 'result');
    assert.equal((await socket.request('sync')).type, 'result');
    const third = await socket.request('sync');
    assert.equal(third.error?.code, 'RATE_LIMITED', JSON.stringify(third));
    assert.match(third.error!.message, /this device/);
    socket.close();
  });

  test('groups created and chats opened are limited per account per hour', async () => {
    const [creator, other] = [await signUp(stack), await signUp(stack)];
    const socket = await FrameSocket.open(stack.wsUrls[0]!, creator.tokens.accessToken);
    for (let i = 0; i < 3; i++) {
      const created = await socket.request('group.create', { subject: `g${i}`, members: [] });
      assert.equal(created.type, 'result', JSON.stringify(created));
    }
    const fourth = await socket.request('group.create', { subject: 'one too many', members: [] });
    assert.equal(fourth.error?.code, 'RATE_LIMITED', JSON.stringify(fourth));
    assert.match(fourth.error!.message, /per hour/);
    assert.ok((fourth.error!.details as { retryAfterMs: number }).retryAfterMs > 60_000);
    const direct = await socket.request('conversation.open_direct', { userId: other.userId });
    assert.equal(direct.error?.code, 'RATE_LIMITED', 'opening a chat draws on the same allowance');
    assert.equal((await socket.request('ping')).type, 'result', 'other frames go on');
    socket.close();
  });

  test('devices of one account share the account budget', async () => {
    const [gw1, gw2] = [stack.gateways[0]!, stack.gateways[1]!];
    const phone = await signUp(stack);
    const laptop = await linkDevice(stack, phone);
    const sockets = [
      await FrameSocket.open(stack.wsUrl(gw1), phone.tokens.accessToken),
      await FrameSocket.open(stack.wsUrl(gw2), laptop.tokens.accessToken),
    ];
    const started = performance.now();
    const { ok, limited } = await pingFlood(sockets, DEVICE_BURST);
    const seconds = (performance.now() - started) / 1000;
    assert.ok(
      ok <= ACCOUNT_BURST + Math.ceil(RATE * seconds) + 1,
      `${ok} of ${2 * DEVICE_BURST} pings passed: within each device budget, but not the account's`,
    );
    assert.ok(
      limited.some((a) => /account/.test(a.error!.message)),
      'refused by the account budget',
    );
    for (const s of sockets) s.close();
  });
});
