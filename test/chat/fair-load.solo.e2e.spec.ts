import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { REQUEST_TYPES, type RequestType } from '#libs/protocol';
import { eventually } from '../support/app-process.js';
import { onEvents, pace, until } from '../support/wait.js';
import { ChatStack } from '../support/chat-stack.js';
import { signUp, type TestDevice } from '../support/chat-users.js';
import { FrameSocket } from '../support/frame-socket.js';

/**
 * Load from some users must not hurt the others (issue 14, item 17): five authenticated sockets send a
 * seeded mix of every request type at 60 frames/s each (the outside fuzzer's rate: below the old
 * per-socket limit of 100 frames/s, above the device's cost budget, so dear frames are refused once it
 * is spent), while a well-behaved pair exchanges messages. The pair's p99 send-to-receive stays under
 * 10 times its idle value measured in this same test (idle and loaded blocks alternate), and every one of
 * its sends is answered.
 */
const FUZZERS = 5;
const FUZZ_FRAMES_PER_SECOND = 60;
/**
 * Four idle and four loaded blocks of 80 sends each, about 5 s a block: 320 samples a side, so each p99
 * is the 4th slowest, not the 2nd (one scheduling hiccup that caught two sends decided it).
 */
const ROUNDS = 4;
const SENDS_PER_BLOCK = 80;
const PAIR_INTERVAL_MS = 50;
/** The fuzz block before the measured ones, about as long as one of them. */
const WARMUP_FUZZ_MS = 5_000;

let stack: ChatStack;

/** mulberry32: a small seeded PRNG, so a failing mix can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What a fuzzer knows to make plausible frames: peers, conversations, message ids, pushed entries. */
interface FuzzWorld {
  readonly self: string;
  readonly peers: string[];
  readonly conversations: string[];
  readonly groups: string[];
  readonly messageIds: string[];
  readonly entries: string[];
}

function fuzzFrame(type: RequestType, w: FuzzWorld, rnd: () => number, n: number): Record<string, unknown> {
  const pick = <T>(xs: readonly T[], fallback: T): T =>
    xs.length > 0 ? xs[Math.floor(rnd() * xs.length)]! : fallback;
  const conv = pick(w.conversations, 'none');
  const group = pick(w.groups, conv);
  const msg = pick(w.messageIds, '1');
  const peer = pick(w.peers, w.self);
  switch (type) {
    case 'ping':
    case 'presence.heartbeat':
    case 'privacy.get':
      return {};
    case 'sync':
      return {};
    case 'conversation.open_direct':
      return { userId: peer };
    case 'message.send':
      return {
        conversationId: conv,
        clientMessageId: `f${n}-${rnd()}`,
        text: 'x'.repeat(1 + Math.floor(rnd() * 200)),
      };
    case 'message.reply_privately':
      return { groupConversationId: group, messageId: msg, clientMessageId: `p${n}-${rnd()}`, text: 'psst' };
    case 'message.info':
      return { conversationId: group, messageId: msg };
    case 'ack':
      return { entries: w.entries.splice(0, 500).concat(w.entries.length === 0 ? ['0:1'] : []) };
    case 'message.read':
      return { conversationId: conv, upToMessageId: msg };
    case 'history.get':
      return { conversationId: conv, limit: 1 + Math.floor(rnd() * 100) };
    case 'conversations.list':
      return { limit: 1 + Math.floor(rnd() * 500) };
    case 'group.create':
      return { subject: `fuzz ${n}`, members: w.peers.slice(0, 1 + Math.floor(rnd() * w.peers.length)) };
    case 'group.add_members':
      return { conversationId: group, userIds: [peer] };
    case 'group.remove_member':
    case 'group.promote':
    case 'group.demote':
      return { conversationId: group, userId: peer };
    case 'group.leave':
      return { conversationId: pick(w.groups.slice(1), 'none') };
    case 'group.update_info':
      return { conversationId: group, subject: `renamed ${n}` };
    case 'group.update_settings':
      return { conversationId: group, editInfo: rnd() < 0.5 ? 'admins' : 'everyone' };
    case 'group.info':
      return { conversationId: group };
    case 'conversation.get':
      return { conversationId: conv };
    case 'presence.subscribe':
      return { userIds: w.peers, conversationId: conv };
    case 'typing.set':
      return { conversationId: conv, state: 'typing' };
    case 'privacy.set':
      return { lastSeen: rnd() < 0.5 ? 'everyone' : 'contacts' };
    case 'profile.set':
      return { about: `fuzz ${n}` };
    case 'profile.get':
      return { userIds: w.peers };
    case 'profile.changes':
    case 'block.list':
      return {};
    case 'message.edit':
      return { conversationId: conv, messageId: '1', clientActionId: `fuzz-${n}`, text: `fuzz ${n}` };
    case 'message.delete':
      return { conversationId: conv, messageId: '1', clientActionId: `fuzz-${n}`, forEveryone: n % 2 === 0 };
    case 'message.react':
      return { conversationId: conv, messageId: '1', clientActionId: `fuzz-${n}`, emoji: '👍' };
    case 'message.forward':
      return {
        fromConversationId: conv,
        messageId: '1',
        to: [{ conversationId: conv, clientMessageId: `fuzz-${n}` }],
      };
    case 'conversation.set_disappearing': // off: the fuzz's messages must not start to expire
      return { conversationId: conv, timer: 'off', clientActionId: `fuzz-${n}` };
    case 'conversation.archive':
      return { conversationId: conv, archived: rnd() < 0.5 };
    case 'conversation.pin':
      return { conversationId: conv, pinned: rnd() < 0.5 };
    case 'message.star':
      return { conversationId: conv, messageId: '1', starred: true };
    case 'starred.list':
      return {};
    case 'group.set_icon':
      return { conversationId: group };
    case 'block.add': // an id that is no account: blocking a peer would change what the fuzz's sends do
    case 'block.remove':
      return { userId: `nobody${n}` };
    case 'report.create':
      return { userId: peer, reason: 'spam' };
    default: {
      const never: never = type;
      throw new Error(`no fuzz data for ${String(never)}`);
    }
  }
}

/** One abusive but authenticated socket: fire-and-forget frames at a fixed rate, every request type. */
class Fuzzer {
  sent = 0;
  answers = 0;
  limited = 0;
  private readonly world: FuzzWorld;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly ws: WebSocket,
    device: TestDevice,
    peers: string[],
    conversations: string[],
    groups: string[],
    private readonly rnd: () => number,
  ) {
    this.world = { self: device.userId, peers, conversations, groups, messageIds: [], entries: [] };
    ws.on('message', (raw) => {
      const f = JSON.parse(raw.toString()) as {
        type: string;
        data?: { entryId?: string; messageId?: string; conversationId?: string };
      };
      if (f.type === 'result' || f.type === 'error') this.answers++;
      if (f.type === 'error' && (f as { error?: { code: string } }).error?.code === 'RATE_LIMITED')
        this.limited++;
      if (f.data?.entryId) this.world.entries.push(f.data.entryId);
      if (f.data?.messageId && this.world.messageIds.length < 200)
        this.world.messageIds.push(f.data.messageId);
      if (f.type === 'result' && f.data?.conversationId?.startsWith('g_') && this.world.groups.length < 50)
        this.world.groups.push(f.data.conversationId);
    });
  }

  start(): void {
    this.timer = setInterval(() => {
      if (this.ws.readyState !== WebSocket.OPEN) return;
      const type = REQUEST_TYPES[Math.floor(this.rnd() * REQUEST_TYPES.length)]!;
      const n = ++this.sent;
      this.ws.send(JSON.stringify({ type, id: `z${n}`, data: fuzzFrame(type, this.world, this.rnd, n) }));
    }, 1000 / FUZZ_FRAMES_PER_SECOND);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

const p50 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.ceil(xs.length * 0.99) - 1]!;

/** Alice sends `count` messages to Bob one by one; the send-to-receive times and any send left unanswered. */
async function exchange(
  alice: FrameSocket,
  bob: WebSocket,
  conversationId: string,
  count: number,
  label: string,
): Promise<{ latencies: number[]; failures: string[] }> {
  const arrivals = new Map<string, number>();
  const onMessage = (raw: WebSocket.RawData): void => {
    const f = JSON.parse(raw.toString()) as { type: string; data?: { clientMessageId?: string } };
    if (f.type === 'message' && f.data?.clientMessageId)
      arrivals.set(f.data.clientMessageId, performance.now());
  };
  bob.on('message', onMessage);
  const started = new Map<string, number>();
  const failures: string[] = [];
  const sentAfter: number[] = [];
  for (let i = 0; i < count; i++) {
    const cmid = `${label}-${i}`;
    started.set(cmid, performance.now());
    const answer = await alice
      .request('message.send', { conversationId, clientMessageId: cmid, text: cmid }, 10_000)
      .catch((err: Error) => ({ type: 'timeout', error: { code: err.message } }));
    if (answer.type !== 'result') failures.push(`${cmid}: ${JSON.stringify(answer)}`);
    else sentAfter.push(performance.now() - started.get(cmid)!);
    await pace(PAIR_INTERVAL_MS);
  }
  // Each arrival wakes the check; what has not arrived by then is reported below as a failure.
  await until(() => arrivals.size >= count - failures.length, onEvents(bob, 'message'), 30_000).catch(
    () => undefined,
  );
  bob.off('message', onMessage);
  const latencies: number[] = [];
  for (const [cmid, t0] of started) {
    const t1 = arrivals.get(cmid);
    if (t1 === undefined) failures.push(`${cmid}: never arrived`);
    else latencies.push(t1 - t0);
  }
  console.log(
    `${label}: SENT p50 ${p50(sentAfter).toFixed(1)} p99 ${p99(sentAfter).toFixed(1)}; received p50 ${p50(latencies).toFixed(1)} p99 ${p99(latencies).toFixed(1)} ms`,
  );
  return { latencies, failures };
}

describe('fairness under a fuzzing load (real gateway, NATS, Redis, Cassandra)', () => {
  before(async () => {
    stack = await ChatStack.start();
  });
  after(() => stack.stop());

  test('five fuzzing sockets beside a well-behaved pair: its p99 stays under 10x idle, every send answered', async () => {
    const url = stack.wsUrls[0]!;
    const [alice, bob, ...fuzzUsers] = await Promise.all(
      Array.from({ length: 2 + FUZZERS }, () => signUp(stack)),
    );
    const aliceSocket = await FrameSocket.open(url, alice!.tokens.accessToken);
    const pair = await aliceSocket.request('conversation.open_direct', { userId: bob!.userId });
    const conversationId = (pair.data as { conversationId: string }).conversationId;
    const bobFrames = await FrameSocket.open(url, bob!.tokens.accessToken);
    assert.equal((await bobFrames.request('sync')).type, 'result', 'live pushes start after a sync');
    const bobSocket = bobFrames.ws;

    // The fuzzers' own conversations: direct chats in a ring and one group of all of them.
    const fuzzIds = fuzzUsers.map((u) => u.userId);
    const fuzzSockets = await Promise.all(fuzzUsers.map((u) => FrameSocket.open(url, u.tokens.accessToken)));
    const directs = await Promise.all(
      fuzzSockets.map(async (s, i) => {
        const a = await s.request('conversation.open_direct', { userId: fuzzIds[(i + 1) % FUZZERS]! });
        return (a.data as { conversationId: string }).conversationId;
      }),
    );
    const group = await fuzzSockets[0]!.request('group.create', {
      subject: 'fuzz',
      members: fuzzIds.slice(1),
    });
    const groupId = (group.data as { conversationId: string }).conversationId;

    await exchange(aliceSocket, bobSocket, conversationId, 10, 'warmup');
    const fuzzers = fuzzSockets.map(
      (s, i) =>
        new Fuzzer(
          s.ws,
          fuzzUsers[i]!,
          fuzzIds.filter((id) => id !== fuzzIds[i]),
          [directs[i]!, directs[(i + FUZZERS - 1) % FUZZERS]!, groupId],
          [groupId],
          prng(1400 + i),
        ),
    );
    // An unmeasured fuzz block first: the first frames of each request type pay one-time costs (JIT,
    // statement preparation, the fuzzers' first groups), which CI once saw as a 441 ms p99 in load-0.
    for (const f of fuzzers) f.start();
    await pace(WARMUP_FUZZ_MS);
    for (const f of fuzzers) f.stop();
    await eventually(async () => fuzzers.every((f) => f.answers >= f.sent), 10_000).catch(() => undefined);
    // Idle and loaded blocks alternate, so any other load on the machine falls on both sides of the ratio
    // alike instead of on the one long loaded window. (The suite runs this file alone: *.solo.* files
    // go first in scripts/test.sh, as a neighbouring fault file's load once failed it in CI.)
    const idle: number[] = [];
    const loaded: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const quiet = await exchange(aliceSocket, bobSocket, conversationId, SENDS_PER_BLOCK, `idle-${round}`);
      assert.deepEqual(quiet.failures, []);
      idle.push(...quiet.latencies);
      for (const f of fuzzers) f.start();
      const busy = await exchange(aliceSocket, bobSocket, conversationId, SENDS_PER_BLOCK, `load-${round}`);
      for (const f of fuzzers) f.stop();
      assert.deepEqual(busy.failures, [], 'every send of the pair is answered and delivered');
      loaded.push(...busy.latencies);
      // No backlog: what the fuzzers sent is answered (done or refused) soon after they stop, as the
      // outside fuzzer's 13,265 requests that waited over 5 s were not.
      await eventually(async () => fuzzers.every((f) => f.answers >= f.sent), 10_000).catch(
        () => undefined, // asserted after the rounds, with the counts
      );
    }
    const idleP99 = p99(idle);
    const loadP99 = p99(loaded);
    const sent = fuzzers.reduce((n, f) => n + f.sent, 0);
    const answered = fuzzers.reduce((n, f) => n + f.answers, 0);
    const limited = fuzzers.reduce((n, f) => n + f.limited, 0);
    console.log(
      `idle p99 ${idleP99.toFixed(1)} ms, under load p99 ${loadP99.toFixed(1)} ms; fuzz frames ${sent}, answered ${answered}, RATE_LIMITED ${limited}`,
    );
    assert.ok(
      loadP99 < 10 * idleP99,
      `p99 under load ${loadP99.toFixed(1)} ms < 10 x idle ${idleP99.toFixed(1)} ms`,
    );
    assert.equal(answered, sent, 'every fuzz frame is answered within 10 s of the load stopping');
    assert.ok(limited > 0, 'the fuzzers spent their budgets');
    for (const s of [aliceSocket, ...fuzzSockets]) s.close();
    bobSocket.close();
  });
});
