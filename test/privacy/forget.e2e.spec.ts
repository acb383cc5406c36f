import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { CLOSE_CODES } from '#libs/protocol';
import { ChatHttpClient } from '#libs/client-sdk';
import { eventually } from '../support/app-process.js';
import { ChatStack, freshPhone } from '../support/chat-stack.js';
import { signUp, TestDevice } from '../support/chat-users.js';
import { chatctl } from '../support/chatctl.js';
import { readableNeedles } from '../support/store-scan.js';
import { fileOf, upload } from '../media/media-helpers.js';

let stack: ChatStack;
let alice: TestDevice, bob: TestDevice;
let phone: string;
let conversationId: string;
let revoked: Promise<void>;
const tag = Math.random().toString(36).slice(2, 10);
const secrets = {
  deviceName: `alice-pixel-${tag}`,
  displayName: `Alice ${tag}`,
  text: `my address is 221B Baker Street ${tag}`,
  caption: `holiday photo ${tag}`,
};
const bobText = `bob keeps his words ${tag}`;

/** Every place a secret could still be readable: every stream message (DLQ too), table row and Redis value. */
const leaks = (needles: readonly string[]): Promise<string[]> =>
  readableNeedles(stack.env, needles, { redis: true });

describe('chatctl forget: crypto-shredding and scrubbing (real NATS, Cassandra, Redis, S3)', () => {
  before(async () => {
    stack = await ChatStack.start();
    const http = new ChatHttpClient({ baseUrl: stack.liveGateways[0]!.url });
    phone = freshPhone();
    const code = await stack.newCode(phone, () => http.requestCode(phone));
    alice = new TestDevice(await http.verify(phone, code, secrets.deviceName, secrets.displayName), stack);
    bob = await signUp(stack);
    await Promise.all([alice.connect(), bob.connect()]);
    ({ conversationId } = await alice.chat.openDirect(bob.userId));
    await alice.chat.send(conversationId, secrets.text);
    const mediaId = await upload(stack, alice, 'image', 'image/png', fileOf('image/png', 2048));
    await alice.chat.sendMedia(conversationId, { mediaId, caption: secrets.caption });
    await bob.chat.send(conversationId, bobText);
    await bob.waitForMessages(conversationId, 2);
    await alice.waitForMessages(conversationId, 1);
  });
  after(async () => {
    await Promise.all([alice, bob].map((d) => d.disconnect().catch(() => undefined)));
    await stack.stop();
  });

  test('before: personal fields are sealed in the log, yet readable in the read models', async () => {
    const found = await leaks([
      phone,
      secrets.deviceName,
      secrets.displayName,
      secrets.text,
      secrets.caption,
    ]);
    assert.ok(!found.some((f) => f.startsWith('stream')), `plaintext in the log: ${found.join(', ')}`);
    assert.ok(
      found.some((f) => f.startsWith('table')),
      'the projector wrote the text (control)',
    );
  });

  test("forget leaves none of A's personal data readable; the audit event and B's messages stay", async () => {
    // The SDK reports the final close of A's open connection once forget makes it happen.
    revoked = new Promise<void>((resolve) => alice.client!.once('revoked', () => resolve()));
    const r = await chatctl(stack.env, ['forget', alice.userId, '--requested-by', 'dpo@example.com'], 60_000);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /forget: done/);
    // The projector applies UserForgotten too; wait until its scrub is in (idempotent with chatctl's).
    await eventually(
      async () =>
        (await leaks([phone, secrets.deviceName, secrets.displayName, secrets.text, secrets.caption]))
          .length === 0,
      20_000,
      'nothing readable',
    ).catch(async () => {
      assert.deepEqual(
        await leaks([phone, secrets.deviceName, secrets.displayName, secrets.text, secrets.caption]),
        [],
      );
    });

    const events = await chatctl(stack.env, ['events', '--user', alice.userId]);
    assert.equal(events.code, 0, events.stderr);
    const lines = events.stdout
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as { event: { type: string; data: Record<string, unknown>; forgotten?: string[] } },
      );
    const audit = lines.find((l) => l.event.type === 'UserForgotten');
    assert.ok(audit, 'the audit event is in the log');
    assert.equal(audit.event.data.requestedBy, 'dpo@example.com');
    assert.ok(!Number.isNaN(Date.parse(String(audit.event.data.requestedAt))));
    const sent = lines.filter(
      (l) => l.event.type === 'MessageSent' && l.event.data.senderUserId === alice.userId,
    );
    assert.equal(sent.length, 2);
    for (const s of sent)
      assert.ok(s.event.forgotten && s.event.forgotten.length > 0, JSON.stringify(s.event));
    assert.ok(!events.stdout.includes(secrets.text) && !events.stdout.includes(phone));

    // B's own message is still readable, in the log and in history.
    const conv = await chatctl(stack.env, ['events', '--conversation', conversationId]);
    assert.equal(conv.code, 0, conv.stderr);
    const bobs = conv.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as (typeof lines)[number])
      .find((l) => l.event.type === 'MessageSent' && l.event.data.senderUserId === bob.userId);
    assert.deepEqual(bobs?.event.data.content, { type: 'text', text: bobText });
    const history = await bob.chat.history(conversationId, { limit: 10 });
    assert.ok(history.messages.some((m) => m.text === bobText));
    assert.ok(!history.messages.some((m) => m.text === secrets.text));
  });

  test("A's tokens and commands are refused with USER_FORGOTTEN; forgetting again reports so", async () => {
    await revoked; // the open connection was closed as revoked (the SDK stops reconnecting)
    const closed = await new Promise<{ code: number; reason: string }>((resolve) => {
      const ws = new WebSocket(stack.wsUrls[0]!, {
        headers: { authorization: `Bearer ${alice.tokens.accessToken}` },
      });
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    assert.deepEqual(closed, { code: CLOSE_CODES.revoked, reason: 'USER_FORGOTTEN' });
    const http = new ChatHttpClient({ baseUrl: stack.liveGateways[0]!.url });
    await assert.rejects(
      http.listDevices(alice.tokens.accessToken),
      (e: unknown) => (e as { code?: string }).code === 'USER_FORGOTTEN',
    );
    const again = await chatctl(
      stack.env,
      ['forget', alice.userId, '--requested-by', 'dpo@example.com'],
      60_000,
    );
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /already forgotten/);
  });

  test('a rebuild of the users read model after forget replays the log and stays scrubbed', async () => {
    const r = await chatctl(stack.env, ['rebuild', 'users', '--by', 'forget-test'], 120_000);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      await leaks([phone, secrets.deviceName, secrets.displayName, secrets.text, secrets.caption]),
      [],
    );
  });
});
