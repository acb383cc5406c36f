import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import WebSocket from 'ws';
import { eventually } from '../support/app-process.js';
import { onEvents, pace, until } from '../support/wait.js';
import { ChatStack } from '../support/chat-stack.js';
import { signUp, type TestDevice } from '../support/chat-users.js';

let stack: ChatStack;
let alice: TestDevice;
let bob: TestDevice;
let conversationId: string;

interface Answer {
  type: string;
  id: string | null;
  error?: { code: string; message: string };
}

/** A raw socket of a signed-in device, collecting every answer. */
async function rawSocket(device: TestDevice): Promise<{ ws: WebSocket; answers: Answer[] }> {
  const ws = new WebSocket(stack.wsUrls[0]!, {
    headers: { authorization: `Bearer ${device.tokens.accessToken}` },
  });
  const answers: Answer[] = [];
  ws.on('message', (d) => answers.push(JSON.parse(d.toString()) as Answer));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, answers };
}

/**
 * Whether a flooded socket answers a ping with a result once its rate limiter has refilled: pings again
 * (backing off) while the answer is RATE_LIMITED, for up to 10 s.
 */
async function answersPing(h: { ws: WebSocket; answers: Answer[] }): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  for (let i = 0; Date.now() < deadline && h.ws.readyState === WebSocket.OPEN; i++) {
    const id = `after-flood-${i}`;
    h.ws.send(JSON.stringify({ type: 'ping', id, data: {} }));
    await until(
      () => h.answers.some((a) => a.id === id) || h.ws.readyState !== WebSocket.OPEN,
      onEvents(h.ws, 'message', 'close'),
      5_000,
      `answer ${id}`,
    );
    if (h.answers.some((a) => a.id === id && a.type === 'result')) return true;
    await pace(250); // back-off while the limiter refills
  }
  return false;
}

const validFrames = (conv: string): fc.Arbitrary<Record<string, unknown>> =>
  fc.oneof(
    fc.record({
      type: fc.constant('message.send'),
      id: fc.string({ minLength: 1, maxLength: 10 }),
      data: fc.record({
        conversationId: fc.constant(conv),
        clientMessageId: fc.uuid(),
        text: fc.string({ minLength: 1 }),
      }),
    }),
    fc.record({
      type: fc.constant('ack'),
      id: fc.string({ minLength: 1, maxLength: 10 }),
      data: fc.record({ entries: fc.array(fc.string(), { maxLength: 3 }) }),
    }),
    fc.record({
      type: fc.constant('history.get'),
      id: fc.string({ minLength: 1, maxLength: 10 }),
      data: fc.record({ conversationId: fc.string(), limit: fc.integer() }),
    }),
  );

/** Random and mutated frames: junk JSON, wrong types, missing and unknown fields, odd ids and types. */
const hostileFrame = (conv: string): fc.Arbitrary<string | Buffer> =>
  fc.oneof(
    fc.string().map((s) => s),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    validFrames(conv).chain((f) =>
      fc.oneof(
        fc.constant(JSON.stringify(f)),
        fc
          .record({ key: fc.constantFrom('type', 'id', 'data'), value: fc.jsonValue() })
          .map(({ key, value }) => JSON.stringify({ ...f, [key]: value })),
        fc.constantFrom('type', 'id', 'data').map((key) => JSON.stringify({ ...f, [key]: undefined })),
        fc
          .string()
          .map((extra) => JSON.stringify({ ...f, data: { ...(f.data as object), [extra || 'x']: 1 } })),
      ),
    ),
    fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
    fc.constant(
      JSON.stringify({
        type: 'message.send',
        id: 'big',
        data: { conversationId: conv, clientMessageId: 'b', text: 'x'.repeat(70_000) },
      }),
    ),
    fc.constant('{"type":"ping","id":"deep","data":' + '['.repeat(5000) + ']'.repeat(5000) + '}'),
  );

describe('bad input over the WebSocket', () => {
  before(async () => {
    stack = await ChatStack.start();
    alice = await signUp(stack);
    bob = await signUp(stack);
    await alice.connect();
    await bob.connect();
    ({ conversationId } = await alice.chat.openDirect(bob.userId));
  });
  after(async () => {
    await Promise.all([alice.disconnect(), bob.disconnect()]);
    await stack.stop();
  });

  test('each kind of bad frame gets its stable code and the request id, and the socket keeps working', async () => {
    const { ws, answers } = await rawSocket(alice);
    const cases: Array<[string, string]> = [
      ['{not json', 'MALFORMED_FRAME'],
      ['[1,2]', 'MALFORMED_FRAME'],
      [JSON.stringify({ type: 'ping' }), 'MALFORMED_FRAME'],
      [JSON.stringify({ type: 'teleport', id: 'a1', data: {} }), 'UNKNOWN_FRAME_TYPE'],
      [JSON.stringify({ type: 'message.send', id: 'a2', data: { conversationId } }), 'VALIDATION_FAILED'],
      [
        JSON.stringify({
          type: 'message.send',
          id: 'a3',
          data: { conversationId, clientMessageId: 5, text: 'x' },
        }),
        'VALIDATION_FAILED',
      ],
      [
        JSON.stringify({
          type: 'message.send',
          id: 'a4',
          data: { conversationId: 'd_nobody_else', clientMessageId: 'c', text: 'x' },
        }),
        'NOT_A_MEMBER',
      ],
      [
        JSON.stringify({ type: 'history.get', id: 'a5', data: { conversationId, limit: 1000 } }),
        'VALIDATION_FAILED',
      ],
      [
        JSON.stringify({
          type: 'message.send',
          id: 'a6',
          data: { conversationId, clientMessageId: 'c', text: 'x'.repeat(70_000) },
        }),
        'FRAME_TOO_LARGE',
      ],
    ];
    for (const [frame] of cases) ws.send(frame);
    ws.send(JSON.stringify({ type: 'ping', id: 'still-alive', data: {} }));
    // Every case answered (the three without an id answer with a null one), and the ping after them.
    await until(
      () =>
        answers.filter((a) => a.type === 'error').length >= cases.length &&
        answers.some((a) => a.id === 'still-alive'),
      onEvents(ws, 'message'),
      10_000,
      'every bad frame and the ping answered',
    );
    const errors = answers.filter((a) => a.type === 'error');
    // Frames of one socket run in lanes (sends beside the rest): answers are matched by id, not order.
    const named = new Map(errors.filter((e) => e.id !== null).map((e) => [e.id, e]));
    assert.deepEqual(
      [
        ...errors.filter((e) => e.id === null),
        ...['a1', 'a2', 'a3', 'a4', 'a5', 'a6'].map((id) => named.get(id)),
      ].map((e) => e?.error?.code),
      cases.map(([, code]) => code),
    );
    assert.equal(errors.length, cases.length);
    assert.match(named.get('a2')!.error!.message, /clientMessageId/);
    for (const e of errors)
      assert.ok(
        !/at \w+ \(|node_modules|\.js:\d+/.test(e.error!.message),
        `no stack trace: ${e.error!.message}`,
      );
    assert.ok(answers.some((a) => a.type === 'result' && a.id === 'still-alive'));
    ws.close();
  });

  test('thousands of random and mutated frames on other connections never disturb a well-behaved client', async () => {
    // Other users' sockets: a device's or an account's own sockets share its budget (and at most
    // MAX_SOCKETS_PER_DEVICE of them stay open), so a flood there would rightly slow the client itself.
    const [mallory, eve] = [await signUp(stack), await signUp(stack)];
    await mallory.connect();
    const { conversationId: theirs } = await mallory.chat.openDirect(eve.userId);
    await mallory.disconnect();
    const hostile = await Promise.all([rawSocket(mallory), rawSocket(mallory), rawSocket(eve)]);
    const frames = fc.sample(hostileFrame(theirs), { numRuns: 3000, seed: 42 });
    const flood = (async () => {
      for (let i = 0; i < frames.length; i++) {
        const target = hostile[i % hostile.length]!.ws;
        if (target.readyState === WebSocket.OPEN) target.send(frames[i]!);
        if (i % 50 === 0) await new Promise((r) => setImmediate(r));
      }
    })();
    const sent: string[] = [];
    for (let i = 0; i < 50; i++) sent.push((await alice.chat.send(conversationId, `steady ${i}`)).messageId);
    await flood;
    const steadyOf = (): string[] =>
      bob
        .of(conversationId)
        .filter((m) => sent.includes(m.messageId))
        .map((m) => m.messageId);
    await eventually(async () => steadyOf().length >= sent.length, 30_000, 'every steady message');
    assert.deepEqual(steadyOf(), sent, 'each steady message once, in order');
    assert.equal(stack.gateways[0]!.child.exitCode, null, 'the gateway is still running');
    for (const h of hostile) {
      assert.ok(h.answers.length > 0);
      if (h.ws.readyState === WebSocket.OPEN)
        assert.ok(await answersPing(h), 'the hostile socket still answers');
      h.ws.close();
    }
    assert.equal((await stack.gateways[0]!.get('/healthz')).status, 200);
  });
});
