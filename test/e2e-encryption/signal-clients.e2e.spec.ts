import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { ChatError } from '#libs/client-sdk';
import type { E2eDevicesMismatch, E2eSend } from '#libs/protocol';
import { ChatStack } from '../support/chat-stack.js';
import { linkDevice, signUp } from '../support/chat-users.js';
import { readableNeedles } from '../support/store-scan.js';
import { eventually } from '../support/app-process.js';
import { LibsignalProvider } from '../../libs/client-sdk/src/e2e/libsignal-provider.js';
import { SignalDevice, utf8 } from './e2e-support.js';

let stack: ChatStack;
let alice1: SignalDevice, alice2: SignalDevice, bob1: SignalDevice, bob2: SignalDevice;
let carol: SignalDevice, dave: SignalDevice;
let direct: string;
let group: string;
const tag = randomBytes(6).toString('hex');
/** Every plaintext sent in this file: none may be readable anywhere on the server. */
const sent: string[] = [];
const secret = (what: string): string => {
  const s = `${what} ${tag} ${randomBytes(4).toString('hex')}`;
  sent.push(s);
  return s;
};

describe('end-to-end encryption with real libsignal clients (PQXDH, double ratchet, sender keys)', () => {
  before(async () => {
    stack = await ChatStack.start();
    const a = await signUp(stack);
    const b = await signUp(stack);
    alice1 = new SignalDevice(a, stack);
    alice2 = new SignalDevice(await linkDevice(stack, a), stack, alice1);
    bob1 = new SignalDevice(b, stack);
    bob2 = new SignalDevice(await linkDevice(stack, b), stack, bob1);
    carol = new SignalDevice(await signUp(stack), stack);
    dave = new SignalDevice(await signUp(stack), stack);
    const all = [alice1, alice2, bob1, bob2, carol, dave];
    // The primary publishes the account's identity first; the linked devices follow under it.
    for (const d of [alice1, bob1, carol, dave]) await d.publish();
    for (const d of [alice2, bob2]) await d.publish();
    await Promise.all(all.map((d) => d.connect()));
    const opened = await alice1.device.chat.openDirect(bob1.userId);
    direct = opened.conversationId;
    assert.equal(opened.e2e, true, 'E2E by default: both users published keys');
  });
  after(async () => {
    await Promise.all(
      [alice1, alice2, bob1, bob2, carol, dave].map((d) => d?.device.disconnect().catch(() => undefined)),
    );
    await stack.stop();
  });

  test("a linked device may not publish an identity key other than the account's", async () => {
    const stranger = new SignalDevice(await linkDevice(stack, carol.device), stack); // its own identity
    await assert.rejects(stranger.publish(), (e: ChatError) => e.code === 'IDENTITY_KEY_MISMATCH');
  });

  test('bundles: one per device, one-time keys claimed, the last-resort Kyber key once they run out', async () => {
    const http = carol.http();
    const before = await http.preKeyCounts(bob2.device.tokens.accessToken);
    const bundles = await http.bundles(carol.device.tokens.accessToken, bob1.userId);
    assert.deepEqual(bundles.devices.map((d) => d.deviceId).sort(), [bob1.deviceId, bob2.deviceId].sort());
    const b2 = bundles.devices.find((d) => d.deviceId === bob2.deviceId)!;
    assert.equal(b2.registrationId, bob2.provider.registrationId);
    assert.ok(b2.preKey, 'a one-time EC prekey');
    assert.equal(b2.kyberPreKey.lastResort, false);
    assert.equal(bundles.identityKey, b2.identityKey, "the linked device carries the account's identity");
    const afterClaim = await http.preKeyCounts(bob2.device.tokens.accessToken);
    assert.deepEqual([afterClaim.ec, afterClaim.kyber], [before.ec - 1, before.kyber - 1]);
    // Use up dave's keys: the bundle then has no EC one-time key and serves the last-resort Kyber key.
    for (let i = 0; i < 5; i++) await http.bundles(carol.device.tokens.accessToken, dave.userId);
    const exhausted = (await http.bundles(carol.device.tokens.accessToken, dave.userId)).devices[0]!;
    assert.equal(exhausted.preKey, undefined);
    assert.equal(exhausted.kyberPreKey.lastResort, true);
    await dave.e2e!.replenish(5); // and dave uploads more, as `prekeys.low` told it
  });

  test('two users with two devices each: sessions from the key directory, messages both ways', async () => {
    const hello = secret('hello bob, from alice');
    const r = await alice1.e2e!.send(direct, utf8(hello));
    assert.equal(r.duplicate, false);
    assert.ok(alice1.e2e!.stats.sessionsStarted >= 3, 'sessions with bob1, bob2 and alice2 (PQXDH)');
    for (const d of [bob1, bob2, alice2]) assert.deepEqual(await d.waitOpened(direct, 1), [hello]);
    const reply = secret('hi alice, bob here');
    await bob2.e2e!.send(direct, utf8(reply));
    assert.deepEqual(await alice1.waitOpened(direct, 1), [reply]);
    for (const d of [alice2, bob1]) assert.deepEqual(await d.waitOpened(direct, 2), [hello, reply]);
    // Each device got its own envelope: different bodies, and each opened only with that device's session.
    const bodies = [bob1, bob2, alice2].map(
      (d) => d.device.of(direct).find((m) => m.messageId === r.messageId)!.e2e!.body,
    );
    assert.equal(new Set(bodies).size, 3);
    // Lists and history keep no ciphertext and no preview.
    const list = await bob1.device.chat.listConversations();
    const summary = list.conversations.find((c) => c.conversationId === direct)!;
    assert.equal(summary.lastMessage?.text, '');
    assert.equal(summary.lastMessage?.e2e?.body, undefined);
  });

  test('missing, extra and stale devices are refused together, listed, and nothing is stored', async () => {
    // Every message of the conversation so far reached bob1 live: the highest seq it holds is the last one.
    const lastSeq = Math.max(...bob1.device.of(direct).map((x) => x.seq));
    const c = await alice1.provider.encrypt(
      { userId: bob1.userId, deviceId: bob1.deviceId },
      utf8(secret('refused')),
    );
    const body = Buffer.from(c.body).toString('base64');
    const err = await alice1.device.chat
      .sendE2e(direct, {
        kind: 'envelopes',
        envelopes: [
          {
            deviceId: bob1.deviceId,
            registrationId: bob1.provider.registrationId === 1 ? 2 : 1,
            type: c.type,
            body,
          },
          { deviceId: carol.deviceId, registrationId: carol.provider.registrationId, type: c.type, body },
        ],
      })
      .then(
        () => undefined,
        (e: ChatError) => e,
      );
    assert.equal(err?.code, 'E2E_DEVICES_MISMATCH');
    const m = err.details as unknown as E2eDevicesMismatch;
    assert.deepEqual(m.staleDevices, [{ userId: bob1.userId, deviceId: bob1.deviceId }]);
    assert.deepEqual(
      m.extraDevices.map((d) => d.deviceId),
      [carol.deviceId],
    );
    assert.deepEqual(m.missingDevices.map((d) => d.deviceId).sort(), [bob2.deviceId, alice2.deviceId].sort());
    // Each kind needs its own fields.
    await assert.rejects(
      alice1.device.chat.sendE2e(direct, { kind: 'envelopes' } as unknown as E2eSend),
      (e: ChatError) => e.code === 'VALIDATION_FAILED' && JSON.stringify(e.details).includes('e2e.envelopes'),
    );
    // Nothing was stored: the next message takes the very next seq.
    const opened = bob1.opened.get(direct)?.length ?? 0;
    const next = await alice1.e2e!.send(direct, utf8(secret('after the refusals')));
    await bob1.waitOpened(direct, opened + 1);
    assert.equal(
      bob1.device.of(direct).find((x) => x.messageId === next.messageId)!.seq,
      lastSeq + 1,
      'nothing stored',
    );
  });

  test('a device offline while messages are sent decrypts them in order when it syncs', async () => {
    await bob2.device.disconnect();
    const texts = [
      secret('while you were away 1'),
      secret('while you were away 2'),
      secret('while you were away 3'),
    ];
    for (const t of texts) await alice1.e2e!.send(direct, utf8(t));
    await bob1.waitOpened(direct, 1 + texts.length);
    const before = bob2.opened.get(direct)?.length ?? 0;
    await bob2.connect();
    const got = await bob2.waitOpened(direct, before + texts.length);
    assert.deepEqual(got.slice(-texts.length), texts);
  });

  test('a group of four with sender keys; a member removed; the key rotated', async () => {
    ({ conversationId: group } = await alice1.device.chat.createGroup(`g ${tag}`, [
      bob1.userId,
      carol.userId,
      dave.userId,
    ]));
    const first = secret('group hello');
    await alice1.e2e!.sendGroup(group, utf8(first));
    assert.equal(alice1.e2e!.stats.distributions, 1);
    for (const d of [alice2, bob1, bob2, carol, dave])
      assert.deepEqual(await d.waitOpened(group, 1), [first]);
    const sk = carol.device.of(group).find((m) => m.e2e?.kind === 'sender_key')!;
    assert.ok(sk.e2e!.body, 'one group ciphertext');
    assert.equal(
      bob2.device.of(group).find((m) => m.messageId === sk.messageId)!.e2e!.body,
      sk.e2e!.body,
      'every member device receives the same group ciphertext',
    );

    await alice1.device.chat.removeMember(group, dave.userId);
    const second = secret('after dave left');
    await alice1.e2e!.sendGroup(group, utf8(second));
    assert.equal(alice1.e2e!.stats.rotations, 1, 'SENDER_KEY_STALE made the sender rotate');
    assert.equal(alice1.e2e!.stats.distributions, 2);
    for (const d of [alice2, bob1, bob2, carol])
      assert.deepEqual(await d.waitOpened(group, 2), [first, second]);
    // Dave got nothing after his removal, and the new key would not open for him anyway.
    const rotated = carol.device
      .of(group)
      .filter((m) => m.e2e?.kind === 'sender_key')
      .at(-1)!;
    assert.ok(!dave.device.of(group).some((m) => m.messageId === rotated.messageId));
    await assert.rejects(
      dave.provider.groupDecrypt(
        { userId: alice1.userId, deviceId: alice1.deviceId },
        group,
        Buffer.from(rotated.e2e!.body!, 'base64'),
      ),
    );
    // A member's sender-key message with a distribution older than the removal is refused.
    await assert.rejects(
      bob1.device.chat.sendE2e(group, { kind: 'sender_key', body: 'AAAA', distributionVersion: 0 }),
      (e: ChatError) => e.code === 'SENDER_KEY_STALE' && typeof e.details?.membersVersion === 'number',
    );
    const fromBob = secret('bob to the group');
    await bob1.e2e!.sendGroup(group, utf8(fromBob));
    for (const d of [alice2, bob2, carol]) assert.ok((await d.waitOpened(group, 3)).includes(fromBob));
    assert.deepEqual(
      await alice1.waitOpened(group, 1),
      [fromBob],
      "the sender's own messages are not sent back to it",
    );
  });

  test('encrypted media: no type check, the size limit holds, only ciphertext is stored', async () => {
    const http = alice1.http();
    const plainFile = Buffer.from(secret('the secret file contents').repeat(20));
    // The client encrypts the file; the key and digest travel inside an envelope.
    const fileKey = randomBytes(32);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', fileKey, iv);
    const encrypted = Buffer.concat([iv, cipher.update(plainFile), cipher.final(), cipher.getAuthTag()]);
    const sha = createHash('sha256').update(encrypted).digest('hex');
    const token = alice1.device.tokens.accessToken;
    await assert.rejects(
      http.createUpload(token, {
        kind: 'document',
        contentType: 'application/x-msdownload',
        size: 200 * 1024 * 1024,
        sha256: sha,
        encrypted: true,
      }),
      (e: ChatError) => e.code === 'MEDIA_TOO_LARGE',
    );
    const slot = await http.createUpload(token, {
      kind: 'document',
      contentType: 'application/x-msdownload',
      size: encrypted.length,
      sha256: sha,
      encrypted: true,
    });
    assert.equal(slot.method, 'PUT');
    if (slot.method !== 'PUT') return;
    const put = await fetch(slot.url, {
      method: 'PUT',
      body: encrypted,
      headers: { 'content-type': slot.headers['content-type']! },
    });
    assert.equal(put.status, 200);
    await http.completeUpload(token, slot.mediaId);
    const pointer = JSON.stringify({
      mediaId: slot.mediaId,
      key: fileKey.toString('base64'),
      sha256: sha,
      name: 'notes.exe',
    });
    const openedBefore = bob1.opened.get(direct)?.length ?? 0;
    const { messageId } = await alice1.e2e!.send(direct, utf8(pointer), { mediaIds: [slot.mediaId] });
    const got = (await bob1.waitOpened(direct, openedBefore + 1)).at(-1)!;
    assert.equal(got, pointer);
    const m = bob1.device.of(direct).find((x) => x.messageId === messageId)!;
    assert.deepEqual(m.e2e!.mediaIds, [slot.mediaId]);
    // The recipient downloads the ciphertext (a member of the conversation the message was sent in) and
    // opens it with the key from the envelope.
    const { key, sha256 } = JSON.parse(got) as { key: string; sha256: string };
    const { url } = await bob1
      .http()
      .mediaDownloadUrl(bob1.device.tokens.accessToken, slot.mediaId, direct, messageId);
    const res = await fetch(url);
    assert.equal(res.headers.get('content-type'), 'application/octet-stream');
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(createHash('sha256').update(bytes).digest('hex'), sha256);
    const decipher = createDecipheriv('aes-256-gcm', Buffer.from(key, 'base64'), bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    const opened = Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]);
    assert.ok(opened.equals(plainFile));
    // Someone outside the conversation gets no URL.
    await assert.rejects(
      carol.http().mediaDownloadUrl(carol.device.tokens.accessToken, slot.mediaId, direct, messageId),
      (e: ChatError) => e.code === 'NOT_A_MEMBER',
    );
  });

  test('a replaced identity key is an event and a "security code changed" message where the user talks', async () => {
    const reinstalled = new LibsignalProvider({ userId: carol.userId, deviceId: carol.deviceId });
    await carol.http().publishKeys(carol.device.tokens.accessToken, await reinstalled.keysToPublish(2));
    for (const d of [alice1, bob2, carol]) {
      await eventually(
        async () => d.device.of(group).some((m) => m.system?.kind === 'security_code_changed'),
        20_000,
        `security code notice on ${d.deviceId}`,
      );
      const m = d.device.of(group).find((x) => x.system?.kind === 'security_code_changed')!;
      assert.deepEqual(m.system!.userIds, [carol.userId]);
    }
    // Republishing the same identity changes nothing: no second notice.
    await carol.http().publishKeys(carol.device.tokens.accessToken, await reinstalled.keysToPublish(1));
    // History is written after live delivery: wait for the notice there, then check it is alone.
    const notices = async (): Promise<number> =>
      (await alice1.device.chat.history(group, { limit: 100 })).messages.filter(
        (m) => m.system?.kind === 'security_code_changed',
      ).length;
    await eventually(async () => (await notices()) >= 1, 20_000, 'the notice in history');
    assert.equal(await notices(), 1);
  });

  test('a removed device is no longer expected nor handed out; the sender learns it from the mismatch', async () => {
    await alice1.http().removeDevice(alice1.device.tokens.accessToken, alice2.deviceId);
    const bundles = await bob1.http().bundles(bob1.device.tokens.accessToken, alice1.userId);
    assert.deepEqual(
      bundles.devices.map((d) => d.deviceId),
      [alice1.deviceId],
    );
    // alice1 still lists alice2 among the conversation's devices: refused once (extra), then sent.
    const before = alice1.e2e!.stats.mismatches;
    const last = secret('after alice2 was removed');
    const counts = [bob1, bob2].map((d) => d.opened.get(direct)?.length ?? 0);
    await alice1.e2e!.send(direct, utf8(last));
    assert.equal(alice1.e2e!.stats.mismatches, before + 1);
    for (const [i, d] of [bob1, bob2].entries())
      assert.equal((await d.waitOpened(direct, counts[i]! + 1)).at(-1), last);
  });

  test('no plaintext anywhere: JetStream stream bytes, Cassandra rows, the object store', async () => {
    assert.ok(sent.length >= 8);
    const leaks = await readableNeedles(stack.env, sent, { s3: true });
    assert.deepEqual(leaks, []);
    // The scan itself works: a plaintext message is found.
    // (in a conversation opened without E2E: the E2E one refuses plaintext)
    const control = `plaintext control ${tag}`;
    await assert.rejects(
      alice1.device.chat.send(direct, control),
      (e: ChatError) => e.code === 'E2E_REQUIRED',
    );
    const plain = await carol.device.chat.openDirect(dave.userId, { e2e: false });
    assert.equal(plain.e2e, false);
    await carol.device.chat.send(plain.conversationId, control);
    await dave.device.waitForMessages(plain.conversationId, 1);
    await eventually(
      async () => (await readableNeedles(stack.env, [control], { s3: true })).length > 0,
      10_000,
      'control found',
    );
  });
});
