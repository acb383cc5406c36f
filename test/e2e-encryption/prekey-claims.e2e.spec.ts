import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatError, ChatHttpClient } from '#libs/client-sdk';
import type { PreKeyCounts } from '#libs/protocol';
import { LibsignalProvider } from '../../libs/client-sdk/src/e2e/libsignal-provider.js';
import { eventually } from '../support/app-process.js';
import { ChatStack } from '../support/chat-stack.js';
import { signUp, signUpMany, type TestDevice } from '../support/chat-users.js';

let stack: ChatStack;
let target: TestDevice;
let claimers: TestDevice[];
let provider: LibsignalProvider;
const EC_KEYS = 60;
const KYBER_KEYS = 20;
const CLAIMERS = 50;

describe('one-time prekey claims are atomic (50 concurrent claimers on two gateways)', () => {
  before(async () => {
    stack = await ChatStack.start({ gateways: 2 });
    target = await signUp(stack);
    claimers = await signUpMany(stack, CLAIMERS, 16);
    provider = new LibsignalProvider({ userId: target.userId, deviceId: target.deviceId });
    const keys = await provider.keysToPublish(0);
    const more = await provider.moreOneTimeKeys(EC_KEYS);
    const http = new ChatHttpClient({ baseUrl: stack.liveGateways[0]!.url });
    await http.publishKeys(target.tokens.accessToken, {
      ...keys,
      preKeys: more.preKeys,
      kyberPreKeys: more.kyberPreKeys.slice(0, KYBER_KEYS),
    });
    await target.connect();
  });
  after(async () => {
    await target?.disconnect();
    await stack.stop();
  });

  test('no key is handed out twice; the last-resort Kyber key serves once they run out; the device is told', async () => {
    const low: PreKeyCounts[] = [];
    target.chat.on('prekeysLow', (c) => low.push(c));
    const gateways = stack.liveGateways;
    // Everyone at once, spread over both gateways.
    const bundles = await Promise.all(
      claimers.map((c, i) =>
        new ChatHttpClient({ baseUrl: gateways[i % gateways.length]!.url }).bundles(
          c.tokens.accessToken,
          target.userId,
        ),
      ),
    );
    const ec = bundles.map((b) => b.devices[0]!.preKey?.keyId);
    const kyber = bundles.map((b) => b.devices[0]!.kyberPreKey);
    const ecIds = ec.filter((id): id is number => id !== undefined);
    assert.equal(
      ecIds.length,
      CLAIMERS,
      'every claimer got an EC one-time key (there are more keys than claimers)',
    );
    assert.equal(new Set(ecIds).size, ecIds.length, 'no EC key went to two claimers');
    const oneTimeKyber = kyber.filter((k) => !k.lastResort).map((k) => k.keyId);
    assert.equal(oneTimeKyber.length, KYBER_KEYS, 'each Kyber one-time key went to exactly one claimer');
    assert.equal(new Set(oneTimeKyber).size, KYBER_KEYS);
    const lastResort = kyber.filter((k) => k.lastResort);
    assert.equal(lastResort.length, CLAIMERS - KYBER_KEYS);
    assert.equal(new Set(lastResort.map((k) => k.keyId)).size, 1, 'the last-resort key serves everyone else');

    const http = new ChatHttpClient({ baseUrl: gateways[0]!.url });
    const counts = await http.preKeyCounts(target.tokens.accessToken);
    assert.deepEqual([counts.ec, counts.kyber], [EC_KEYS - CLAIMERS, 0]);
    await eventually(async () => low.some((c) => c.kyber === 0), 10_000, 'prekeys.low pushed');
  });

  test('a rotated signed prekey and last-resort Kyber key are what the next bundle carries', async () => {
    const rotated = await provider.keysToPublish(0);
    const http = new ChatHttpClient({ baseUrl: stack.liveGateways[0]!.url });
    await http.replaceSignedPreKey(target.tokens.accessToken, {
      signedPreKey: rotated.signedPreKey,
      kyberLastResortPreKey: rotated.kyberLastResortPreKey,
    });
    const bundle = (await http.bundles(claimers.at(-1)!.tokens.accessToken, target.userId)).devices[0]!;
    assert.deepEqual(bundle.signedPreKey, rotated.signedPreKey, 'the new signed prekey');
    assert.equal(bundle.kyberPreKey.lastResort, true, 'the one-time Kyber keys ran out above');
    const { lastResort: _, ...kyber } = bundle.kyberPreKey;
    assert.deepEqual(kyber, rotated.kyberLastResortPreKey, 'the new last-resort Kyber key');
  });

  test('bundle fetches are rate-limited per requester and target', async () => {
    const http = new ChatHttpClient({ baseUrl: stack.liveGateways[0]!.url });
    const c = claimers[0]!;
    let refused: ChatError | undefined;
    for (let i = 0; i < 40 && !refused; i++)
      refused = await http.bundles(c.tokens.accessToken, target.userId).then(
        () => undefined,
        (e: ChatError) => e,
      );
    assert.equal(refused?.code, 'RATE_LIMITED');
    assert.equal(refused?.status, 429);
  });
});
