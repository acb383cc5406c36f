import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import fc from 'fast-check';
import WebSocket from 'ws';
import { parse } from 'yaml';
import { HARD_FRAME_LIMIT_BYTES, MAX_JSON_DEPTH } from '#libs/protocol';
import { eventually, type AppProcess } from '../support/app-process.js';
import { ChatStack } from '../support/chat-stack.js';
import { signUp, type TestDevice } from '../support/chat-users.js';

let stack: ChatStack;
let gateway: AppProcess;
let alice: TestDevice;
let bob: TestDevice;
let direct: string;
let group: string;
let messageIds: string[];

interface LogLine {
  level: string;
  msg?: string;
  code?: string;
  [key: string]: unknown;
}

/** The gateway's log lines written since `mark` (an index into its output chunks). */
function logSince(mark: number): { lines: LogLine[]; text: string } {
  const text = gateway.output.slice(mark).join('');
  const lines: LogLine[] = [];
  for (const line of text.split('\n')) {
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      // a partial line at a chunk boundary, or not JSON
    }
  }
  return { lines, text };
}

/** Client mistakes are no server fault: nothing at error level, no stack trace anywhere. */
function assertNoErrorsOrStacks(mark: number): void {
  const { lines, text } = logSince(mark);
  const errors = lines.filter((l) => l.level === 'error' || l.level === 'fatal');
  assert.deepEqual(
    errors.map((l) => l.msg),
    [],
    `error-level lines: ${JSON.stringify(errors).slice(0, 2000)}`,
  );
  assert.doesNotMatch(text, /"stack":|\n\s+at /, 'a stack trace was logged');
}

interface Answer {
  type: string;
  id: string | null;
  error?: { code: string; message: string };
  data?: Record<string, unknown>;
}

/** An authenticated raw socket that sends one frame at a time and waits for its answer. */
class Socket {
  private seq = 0;
  private readonly waiting = new Map<string, (a: Answer) => void>();
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const answer = JSON.parse(raw.toString()) as Answer;
      if ((answer.type === 'result' || answer.type === 'error') && answer.id !== null) {
        this.waiting.get(answer.id)?.(answer);
        this.waiting.delete(answer.id);
      }
    });
  }

  static async open(device: TestDevice): Promise<Socket> {
    const ws = new WebSocket(stack.wsUrl(gateway), {
      headers: { authorization: `Bearer ${device.tokens.accessToken}` },
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return new Socket(ws);
  }

  /** Sends `text` as the frame (its id must be `id`) and resolves with the answer. */
  sendRaw(id: string, text: string, timeoutMs = 30_000): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${text.slice(0, 200)}`)), timeoutMs);
      this.waiting.set(id, (a) => {
        clearTimeout(timer);
        resolve(a);
      });
      this.ws.send(text);
    });
  }

  request(type: string, data: unknown): Promise<Answer> {
    const id = `r${++this.seq}`;
    return this.sendRaw(id, JSON.stringify({ type, id, ...(data === undefined ? {} : { data }) }));
  }

  close(): void {
    this.ws.close();
  }
}

async function postRaw(
  path: string,
  body: string,
  token?: string,
): Promise<{ status: number; body: { error?: { code: string; message: string } } }> {
  const res = await fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as never };
}

const deepArray = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
const deepObject = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

/**
 * Opens a WebSocket without a token and sends `payload` as a text frame in the same write as the
 * upgrade, so it reaches the server before the handshake's refusal closes the socket.
 */
function tokenlessFrame(payload: Buffer): Promise<void> {
  const port = Number(new URL(gateway.url).port);
  const mask = randomBytes(4);
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i]! ^= mask[i % 4]!;
  const head = Buffer.alloc(10);
  head[0] = 0x81; // FIN + text
  head[1] = 0x80 | 127; // masked, 64-bit length
  head.writeBigUInt64BE(BigInt(payload.length), 2);
  const upgrade =
    `GET /v1/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () =>
      socket.write(Buffer.concat([Buffer.from(upgrade), head, mask, masked])),
    );
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('the server kept the socket open'));
    }, 20_000);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe('hostile input at the edge (HTTP and WebSocket)', () => {
  before(async () => {
    // Debug level, so the test also sees how client mistakes are logged.
    stack = await ChatStack.start({ overrides: { LOG_LEVEL: 'debug' } });
    gateway = stack.gateways[0]!;
    alice = await signUp(stack);
    bob = await signUp(stack);
    await alice.connect();
    ({ conversationId: direct } = await alice.chat.openDirect(bob.userId));
    ({ conversationId: group } = await alice.chat.createGroup('edge', [bob.userId]));
    messageIds = [];
    for (const conversation of [direct, group])
      messageIds.push((await alice.chat.send(conversation, 'hello')).messageId);
  });
  after(async () => {
    await alice?.disconnect();
    await stack?.stop();
  });

  describe('deeply nested JSON is refused with VALIDATION_FAILED before it is walked', () => {
    test('HTTP: every route, authenticated or not, refuses a 5,000-deep body', async () => {
      const mark = gateway.output.length;
      const routes: Array<[string, string | undefined]> = [
        ['/v1/auth/code', undefined],
        ['/v1/auth/verify', undefined],
        ['/v1/auth/refresh', undefined],
        ['/v1/users/lookup', alice.tokens.accessToken],
        ['/v1/media', alice.tokens.accessToken],
      ];
      for (const [path, token] of routes)
        for (const body of [`{"phone":${deepArray(5000)}}`, deepObject(5000), deepArray(5000)]) {
          const res = await postRaw(path, body, token);
          assert.equal(res.status, 400, `${path}: ${JSON.stringify(res.body)}`);
          assert.equal(res.body.error?.code, 'VALIDATION_FAILED');
          assert.match(res.body.error.message, /nests deeper than/);
        }
      // At the limit the depth rule passes and the DTO answers.
      const atLimit = await postRaw('/v1/auth/code', `{"phone":${deepArray(MAX_JSON_DEPTH - 1)}}`);
      assert.equal(atLimit.body.error?.code, 'VALIDATION_FAILED');
      assert.doesNotMatch(atLimit.body.error.message, /nests deeper/);
      assertNoErrorsOrStacks(mark);
    });

    test('WebSocket: a deep frame gets VALIDATION_FAILED with its request id, and the socket lives on', async () => {
      const socket = await Socket.open(alice);
      const mark = gateway.output.length;
      try {
        const frames: Array<[string, string]> = [
          ['d1', `{"type":"sync","id":"d1","data":{"cursor":${deepArray(5000)}}}`],
          [
            'd2',
            `{"type":"message.send","id":"d2","data":{"conversationId":"${direct}","clientMessageId":"x","media":${deepObject(5000)}}}`,
          ],
          ['d3', `{"type":"history.get","id":"d3","data":${deepObject(5000)}}`],
        ];
        for (const [id, text] of frames) {
          const answer = await socket.sendRaw(id, text);
          assert.equal(answer.type, 'error');
          assert.equal(answer.error?.code, 'VALIDATION_FAILED', JSON.stringify(answer));
          assert.match(answer.error.message, /nests deeper than/);
        }
        assert.equal((await socket.request('ping', {})).type, 'result');
        assertNoErrorsOrStacks(mark);
      } finally {
        socket.close();
      }
    });
  });

  test('token-less sockets with oversized or invalid UTF-8 frames leave one debug line each, no error, no stack', async () => {
    const mark = gateway.output.length;
    const attacks = [
      Buffer.alloc(HARD_FRAME_LIMIT_BYTES + 1024, 0x61),
      Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    ];
    const perKind = 3;
    for (const payload of attacks) for (let i = 0; i < perKind; i++) await tokenlessFrame(payload);
    const socketErrors = (): LogLine[] =>
      logSince(mark).lines.filter((l) => l.msg === 'client socket error; closing it');
    // Waits for whatever the server logs about these sockets (NestJS's adapter logs them with its context).
    await eventually(
      async () =>
        logSince(mark).lines.filter(
          (l) => l.msg === 'client socket error; closing it' || l.context === 'WsAdapter',
        ).length >=
        attacks.length * perKind,
      10_000,
      'a log line per refused socket',
    );
    assertNoErrorsOrStacks(mark);
    const lines = socketErrors();
    assert.equal(lines.length, attacks.length * perKind, 'once per socket');
    for (const line of lines) assert.equal(line.level, 'debug');
    assert.deepEqual([...new Set(lines.map((l) => l.code))].sort(), [
      'WS_ERR_INVALID_UTF8',
      'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
    ]);
  });

  describe('null in an optional field is VALIDATION_FAILED, never INTERNAL', () => {
    test('the reported frames: message.send text, sync cursor, history.get before', async () => {
      const socket = await Socket.open(alice);
      const mark = gateway.output.length;
      try {
        const cases: Array<[string, Record<string, unknown>, string]> = [
          ['message.send', { conversationId: direct, clientMessageId: 'n1', text: null }, 'text'],
          ['sync', { cursor: null }, 'cursor'],
          ['history.get', { conversationId: direct, before: null }, 'before'],
          ['history.get', { conversationId: group, after: null, limit: null }, 'after'],
          ['conversations.list', { limit: null }, 'limit'],
          ['privacy.set', { lastSeen: null }, 'lastSeen'],
        ];
        for (const [type, data, field] of cases) {
          const answer = await socket.request(type, data);
          assert.equal(answer.error?.code, 'VALIDATION_FAILED', `${type} ${JSON.stringify(answer)}`);
          assert.match(answer.error.message, new RegExp(`^${field}: |; ${field}: `));
        }
        const nullData = await socket.request('ping', null);
        assert.equal(nullData.error?.code, 'VALIDATION_FAILED', 'data: null is not an absent data');
        assertNoErrorsOrStacks(mark);
      } finally {
        socket.close();
      }
    });

    test('HTTP: null in an optional body field is 400 VALIDATION_FAILED', async () => {
      const token = alice.tokens.accessToken;
      const put = await fetch(`${gateway.url}/v1/notification-settings/mutes/${direct}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ until: null }),
      });
      assert.equal(put.status, 400);
      const slot = await postRaw(
        '/v1/media',
        JSON.stringify({
          kind: 'image',
          contentType: 'image/png',
          size: 10,
          sha256: 'a'.repeat(64),
          encrypted: null,
        }),
        token,
      );
      assert.equal(slot.status, 400);
      assert.equal(slot.body.error?.code, 'VALIDATION_FAILED');
      const complete = await postRaw('/v1/media/m_nothing/complete', JSON.stringify({ parts: null }), token);
      assert.equal(complete.body.error?.code, 'VALIDATION_FAILED');
    });

    test('fuzz: frames built from the protocol grammar (docs/asyncapi.yaml) never get INTERNAL nor log an error', async () => {
      const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
      const frames = fc.sample(requestFrames(), { numRuns: 400, seed });
      const socket = await Socket.open(alice);
      const mark = gateway.output.length;
      try {
        for (const [type, data] of frames) {
          const answer = await socket.request(type, data);
          assert.ok(
            answer.error?.code !== 'INTERNAL' && answer.error?.code !== 'UNAVAILABLE',
            `seed ${seed}: ${type} ${JSON.stringify(data)?.slice(0, 500)} -> ${JSON.stringify(answer)}`,
          );
        }
        assertNoErrorsOrStacks(mark);
      } finally {
        socket.close();
      }
    });
  });
});

// ---- Frames from the protocol's own grammar -------------------------------------------------------

interface Schema {
  $ref?: string;
  type?: string;
  const?: unknown;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: Schema;
  required?: string[];
  properties?: Record<string, Schema>;
  allOf?: Schema[];
}

const asyncapi = parse(readFileSync(new URL('../../../docs/asyncapi.yaml', import.meta.url), 'utf8')) as {
  components: { schemas: Record<string, Schema>; messages: Record<string, { payload: Schema }> };
  operations: { sendRequest: { messages: Array<{ $ref: string }> } };
};

function resolve(schema: Schema): Schema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.split('/').at(-1)!;
  return resolve(asyncapi.components.schemas[name]!);
}

const ABSENT = Symbol('absent');

/** Real ids of this test's users, so that generated frames get past "no such conversation". */
function realValues(name: string): fc.Arbitrary<unknown> | undefined {
  const users = [alice.userId, bob.userId];
  switch (name) {
    case 'conversationId':
    case 'groupConversationId':
      return fc.constantFrom(direct, group);
    case 'userId':
      return fc.constantFrom(...users);
    case 'userIds':
    case 'members':
    case 'mentions':
      return fc.subarray(users, { minLength: 1 });
    case 'messageId':
    case 'upToMessageId':
    case 'before':
    case 'after':
    case 'replyTo':
      return fc.constantFrom(...messageIds);
    default:
      return undefined;
  }
}

function valueOf(schema: Schema, name = ''): fc.Arbitrary<unknown> {
  const s = resolve(schema);
  const grammar = ((): fc.Arbitrary<unknown> => {
    if (s.const !== undefined) return fc.constant(s.const);
    if (s.enum) return fc.constantFrom(...s.enum);
    switch (s.type) {
      case 'integer':
        return fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 1000 });
      case 'number':
        return fc.double({ min: s.minimum ?? -1000, max: s.maximum ?? 1000, noNaN: true });
      case 'boolean':
        return fc.boolean();
      case 'array':
        return fc.array(valueOf(s.items ?? {}), {
          minLength: s.minItems ?? 0,
          maxLength: Math.min(s.maxItems ?? 4, (s.minItems ?? 0) + 4),
        });
      case 'string':
        return s.pattern
          ? fc.stringMatching(new RegExp(s.pattern))
          : fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 40, 40) });
      default:
        return s.properties ? objectOf(s) : fc.jsonValue({ maxDepth: 2 });
    }
  })();
  const real = realValues(name);
  return real ? fc.oneof({ weight: 3, arbitrary: real }, { weight: 1, arbitrary: grammar }) : grammar;
}

/** An object of the schema: required fields present (sometimes null), optional ones absent, null or set. */
function objectOf(schema: Schema): fc.Arbitrary<Record<string, unknown>> {
  const required = new Set(schema.required ?? []);
  const keys = Object.keys(schema.properties ?? {});
  const values = keys.map((key) => {
    const value = valueOf(schema.properties![key]!, key);
    return required.has(key)
      ? fc.oneof({ weight: 8, arbitrary: value }, { weight: 1, arbitrary: fc.constant(null) })
      : fc.oneof(
          { weight: 3, arbitrary: value },
          { weight: 2, arbitrary: fc.constant(null) },
          { weight: 3, arbitrary: fc.constant<typeof ABSENT>(ABSENT) },
        );
  });
  return fc
    .tuple(...values)
    .map((vs) => Object.fromEntries(keys.map((k, i) => [k, vs[i]]).filter(([, v]) => v !== ABSENT)));
}

/** [type, data] of every request of the protocol, data built from its schema. */
function requestFrames(): fc.Arbitrary<[string, unknown]> {
  const requests = asyncapi.operations.sendRequest.messages.map((ref) => {
    const name = ref.$ref.split('/').at(-1)!;
    const own = asyncapi.components.messages[name]!.payload.allOf![1]!.properties!;
    const type = own.type!.const as string;
    const data = own.data
      ? objectOf(own.data)
      : fc.constantFrom<Record<string, unknown> | undefined>({}, undefined);
    return data.map((d): [string, unknown] => [type, d]);
  });
  return fc.oneof(...requests);
}
