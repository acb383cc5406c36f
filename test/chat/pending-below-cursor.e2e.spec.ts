import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ChatClient, type CursorStore } from '#libs/client-sdk';
import { partitionOf } from '#libs/events';
import type { InboxMessage } from '#libs/protocol';
import { eventually } from '../support/app-process.js';
import { ChatStack } from '../support/chat-stack.js';
import { linkDevice, signUp, type TestDevice } from '../support/chat-users.js';
import { RawDevice } from '../support/raw-device.js';

const PARTITIONS = 2;
const WINDOW = 20;
let stack: ChatStack;

/** An SDK client of `device` that acknowledges only what the test tells it to, keeping its cursor. */
async function manualClient(
  device: TestDevice,
  store: CursorStore,
): Promise<{ client: ChatClient; got: InboxMessage[] }> {
  const got: InboxMessage[] = [];
  const client = new ChatClient({
    urls: stack.wsUrls,
    getAccessToken: () => device.tokens.accessToken,
    cursorStore: store,
    autoAck: false,
    heartbeat: false,
  });
  client.on('message', (m) => got.push(m));
  stack.clients.add(client);
  await client.connect();
  return { client, got };
}

async function closeClient(client: ChatClient): Promise<void> {
  stack.clients.delete(client);
  await client.close();
}

describe('an entry below the cursor stays pending until its device acknowledges it', () => {
  before(async () => {
    stack = await ChatStack.start({
      overrides: {
        CHAT_STREAM_PARTITIONS: String(PARTITIONS),
        SYNC_WINDOW: String(WINDOW),
        // The property test reconnects (a sync costs 20 units) far faster than a device's budget allows.
        RATE_LIMIT_FRAMES_PER_SECOND: '1000',
        RATE_LIMIT_BURST: '5000',
        RATE_LIMIT_ACCOUNT_PER_SECOND: '1000',
        RATE_LIMIT_ACCOUNT_BURST: '5000',
      },
    });
  });
  after(() => stack.stop());

  test('SDK: X acknowledges only m2; on reconnect, with its cursor or without, m1 comes again and A gets X tick', async () => {
    const alice = await signUp(stack);
    const x = await signUp(stack);
    const y = await linkDevice(stack, x);
    await alice.connect();
    const { conversationId } = await alice.chat.openDirect(x.userId);
    let saved: string | undefined;
    const store: CursorStore = { load: () => saved, save: (c) => void (saved = c) };
    const first = await manualClient(x, store);
    const m1 = await alice.chat.send(conversationId, 'm1');
    const m2 = await alice.chat.send(conversationId, 'm2');
    await eventually(async () => first.got.length === 2, 20_000, 'X holds m1 and m2');
    const entry = (id: string): string => first.got.find((m) => m.messageId === id)!.entryId;
    await first.client.ack([entry(m2.messageId)]);
    assert.ok(saved !== undefined, 'the ack answered a cursor');
    await closeClient(first.client);

    // With the cursor it was given.
    const withCursor = await manualClient(x, store);
    assert.deepEqual(
      withCursor.got.map((m) => m.messageId),
      [m1.messageId],
      'm1 (not acknowledged) comes back; m2 (acknowledged) does not',
    );
    await closeClient(withCursor.client);
    // Without any cursor.
    const fresh = await manualClient(x, { load: () => undefined, save: () => undefined });
    assert.deepEqual(
      fresh.got.map((m) => m.messageId),
      [m1.messageId],
    );
    await fresh.client.ack([fresh.got[0]!.entryId]);
    await closeClient(fresh.client);
    await eventually(
      async () =>
        alice.receipts.some(
          (r) =>
            r.status === 'delivered' && r.deviceId === x.deviceId && r.messageIds?.includes(m1.messageId),
        ),
      20_000,
      "A's delivered tick from X for m1",
    );
    // Y, which acknowledged nothing, has both.
    await y.connect();
    await y.waitForMessages(conversationId, 2);
    await Promise.all([alice.disconnect(), y.disconnect()]);
  });

  test('raw frames: ack of m2 only, then reconnect with the ack cursor: m1 is sent again, m2 is not', async () => {
    const alice = await signUp(stack);
    const bob = await signUp(stack);
    await alice.connect();
    const { conversationId } = await alice.chat.openDirect(bob.userId);
    const url = stack.wsUrls[0]!;
    const first = await RawDevice.connect(url, bob.tokens.accessToken);
    const m1 = await alice.chat.send(conversationId, 'm1');
    const m2 = await alice.chat.send(conversationId, 'm2');
    await first.waitFor(m1.messageId);
    await first.waitFor(m2.messageId);
    const acked = await first.request<{ acked: number; cursor: string }>('ack', {
      entries: [first.entryIds.get(m2.messageId)],
    });
    assert.equal(acked.acked, 1);
    await first.closed();
    for (const cursor of [acked.cursor, undefined]) {
      const again = await RawDevice.connect(url, bob.tokens.accessToken, { cursor });
      assert.deepEqual([...again.counts.keys()], [m1.messageId], `cursor ${String(cursor)}`);
      assert.equal(again.syncResult?.complete, true);
      await again.closed();
    }
    await alice.disconnect();
  });

  test('property: random acks in random order over two partitions and random reconnects: exactly the unacknowledged entries come back', async () => {
    const bob = await signUp(stack);
    // Senders whose conversations with Bob cover both partitions.
    const senders: Array<{ device: TestDevice; conversationId: string }> = [];
    const covered = new Set<number>();
    while (covered.size < PARTITIONS || senders.length < 3) {
      const device = await signUp(stack);
      await device.connect();
      const { conversationId } = await device.chat.openDirect(bob.userId);
      senders.push({ device, conversationId });
      covered.add(partitionOf(conversationId, PARTITIONS));
    }
    const url = stack.wsUrls[0]!;
    let device = await RawDevice.connect(url, bob.tokens.accessToken);
    /** Entry ids Bob's device has not acknowledged, as the model says. */
    const pending = new Set<string>();
    const acked = new Set<string>();
    let sent = 0;

    const reconnectAndCheck = async (): Promise<void> => {
      await device.closed();
      device = await RawDevice.connect(url, bob.tokens.accessToken);
      const got = device.entryLog;
      assert.equal(new Set(got).size, got.length, 'no entry twice in one sync');
      for (const id of got) assert.ok(!acked.has(id), `acknowledged entry ${id} came back`);
      assert.equal(device.syncResult?.complete, true, 'the backlog fits one sync window');
      assert.deepEqual(new Set(got), pending, 'every unacknowledged entry comes back');
      const partitions = new Set(got.map((id) => id.split(':')[0]));
      assert.ok(got.length === 0 || partitions.size >= 1);
    };

    const op = fc.oneof(
      fc.record({
        kind: fc.constant('send' as const),
        senders: fc.array(fc.nat(senders.length - 1), { minLength: 1, maxLength: 4 }),
      }),
      fc.record({
        kind: fc.constant('ack' as const),
        pick: fc.array(fc.boolean(), { maxLength: 12 }),
        seed: fc.nat(),
      }),
      fc.record({ kind: fc.constant('reconnect' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 3, maxLength: 10 }), async (ops) => {
        for (const o of ops) {
          if (o.kind === 'send') {
            // At most a sync window pending, so each reconnect's sync is complete (windows: the next test).
            if (pending.size + o.senders.length > WINDOW) continue;
            const ids = await Promise.all(
              o.senders.map((i) => senders[i]!.device.chat.send(senders[i]!.conversationId, `p${++sent}`)),
            );
            for (const { messageId } of ids) {
              await device.waitFor(messageId);
              pending.add(device.entryIds.get(messageId)!);
            }
          } else if (o.kind === 'ack') {
            // A random subset, in a random order: across both partitions, holes below acknowledged ones.
            const candidates = [...pending].filter((_, i) => o.pick[i % Math.max(1, o.pick.length)]);
            const shuffled = candidates
              .map((id, i) => ({ id, k: (o.seed * (i + 7919)) % 104_729 }))
              .sort((a, b) => a.k - b.k)
              .map((c) => c.id);
            if (shuffled.length === 0) continue;
            for (let i = 0; i < shuffled.length; i += 3) {
              const batch = shuffled.slice(i, i + 3);
              const r = await device.request<{ acked: number }>('ack', { entries: batch });
              assert.equal(r.acked, batch.length);
              for (const id of batch) {
                pending.delete(id);
                acked.add(id);
              }
            }
          } else {
            await reconnectAndCheck();
          }
        }
        await reconnectAndCheck();
      }),
      { numRuns: 10 },
    );
    assert.ok(
      [...acked, ...pending].some((id) => id.startsWith('0:')) &&
        [...acked, ...pending].some((id) => id.startsWith('1:')),
      'both partitions were exercised',
    );
    await device.closed();
    await Promise.all(senders.map((s) => s.device.disconnect()));
  });

  test('sync windows: a large backlog comes a window at a time as the device acknowledges; a second sync is coalesced', async () => {
    const carol = await signUp(stack);
    const dan = await signUp(stack);
    await carol.connect();
    const { conversationId } = await carol.chat.openDirect(dan.userId);
    const total = 2 * WINDOW + 10;
    const ids: string[] = [];
    for (let i = 0; i < total; i++) ids.push((await carol.chat.send(conversationId, `b${i}`)).messageId);
    // The backlog is in Dan's inbox once the conversation list shows the last message (written after it).
    await eventually(
      async () =>
        (await carol.chat.listConversations()).conversations.find((c) => c.conversationId === conversationId)
          ?.lastMessage?.messageId === ids.at(-1),
      20_000,
      'the backlog projected',
    );
    const raw = await RawDevice.connect(stack.wsUrls[0]!, dan.tokens.accessToken);
    assert.deepEqual(raw.syncResult && { count: raw.syncResult.count, complete: raw.syncResult.complete }, {
      count: WINDOW,
      complete: false,
    });
    // A second sync while the backlog is going out pushes nothing again.
    const second = await raw.request<{ count: number; complete: boolean }>('sync', {});
    assert.equal(second.complete, false);
    await raw.request('ping', {});
    assert.equal(raw.entryLog.length, WINDOW, 'only the window, once');
    // Live traffic meanwhile waits behind the backlog.
    const live = (await carol.chat.send(conversationId, 'live')).messageId;
    const acked = new Set<string>();
    for (let round = 0; acked.size < total + 1 && round < 10; round++) {
      const expected = Math.min(acked.size + WINDOW, total + 1);
      await eventually(async () => raw.entryLog.length >= expected, 20_000, `the window after ${acked.size}`);
      await raw.request('ping', {});
      const unacked = raw.entryLog.filter((id) => !acked.has(id));
      assert.ok(unacked.length <= WINDOW, `at most a window unacknowledged (${unacked.length})`);
      for (const id of unacked) acked.add(id);
      await raw.request('ack', { entries: unacked });
    }
    await raw.waitFor(live);
    assert.equal(raw.entryLog.length, total + 1, 'everything, each once');
    assert.deepEqual([...raw.counts.keys()], [...ids, live], 'in conversation order');
    for (const n of raw.counts.values()) assert.equal(n, 1);
    await raw.closed();
    await carol.disconnect();
  });

  test('ack of 500 entries this connection never pushed: all acknowledged in one frame, each a delivered tick', async () => {
    const carol = await signUp(stack);
    const dan = await signUp(stack);
    await carol.connect();
    const { conversationId } = await carol.chat.openDirect(dan.userId);
    const url = stack.wsUrls[0]!;
    // Online, Dan's first socket gets every message live (live entries are not windowed) and acks none.
    const first = await RawDevice.connect(url, dan.tokens.accessToken);
    const ids: string[] = [];
    // One after the other: well inside the device's frame rate limit.
    for (let i = 0; i < 500; i++) ids.push((await carol.chat.send(conversationId, `a${i}`)).messageId);
    for (const id of ids) await first.waitFor(id);
    const entries = ids.map((id) => first.entryIds.get(id)!);
    await first.closed();
    // A new socket: its sync pushes one window; the other 480 entries are unknown to it.
    const second = await RawDevice.connect(url, dan.tokens.accessToken);
    assert.equal(second.entryLog.length, WINDOW);
    const r = await second.request<{ acked: number }>('ack', { entries });
    assert.equal(r.acked, 500);
    await eventually(
      async () => {
        const ticked = new Set(
          carol.receipts
            .filter((x) => x.conversationId === conversationId && x.status === 'delivered')
            .flatMap((x) => x.messageIds ?? []),
        );
        return ids.every((id) => ticked.has(id));
      },
      30_000,
      'a delivered tick for each of the 500',
    );
    await second.closed();
    const third = await RawDevice.connect(url, dan.tokens.accessToken);
    assert.equal(third.entryLog.length, 0, 'nothing pending');
    await third.closed();
    await carol.disconnect();
  });
});
