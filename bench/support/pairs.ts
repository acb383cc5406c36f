import { randomUUID } from 'node:crypto';
import type { ChatClient } from '#libs/client-sdk';
import type { InboxMessage } from '#libs/protocol';
import type { ChatStack } from '../../test/support/chat-stack.js';
import { signUpMany } from './load-stack.js';
import { Latencies } from './stats.js';
import type { TickTracker } from './tick-tracker.js';

/** A sender device and a recipient device of two users, with their 1:1 conversation. */
export interface Pair {
  readonly sender: ChatClient;
  readonly recipient: ChatClient;
  readonly conversationId: string;
  /** Highest per-conversation seq the recipient has seen (for the in-order check). */
  lastSeq: number;
}

/** Signs up 2n users and connects each pair; `gatewayOf(i)` picks the gateway both devices of pair i use first. */
export async function setUpPairs(
  stack: ChatStack,
  n: number,
  gatewayOf: (i: number) => number = () => 0,
): Promise<Pair[]> {
  const users = await signUpMany(stack, n * 2);
  const pairs: Pair[] = [];
  for (let i = 0; i < n; i++) {
    const [from, to] = [users[2 * i]!, users[2 * i + 1]!];
    const sender = await from.connect({ gateway: gatewayOf(i) });
    const recipient = await to.connect({ gateway: gatewayOf(i) });
    const { conversationId } = await sender.openDirect(to.userId);
    pairs.push({ sender, recipient, conversationId, lastSeq: 0 });
  }
  return pairs;
}

export interface OpenLoopResult {
  readonly latencies: Latencies;
  /** Latencies of messages sent inside [from, to) ms after the start, if a window was asked for. */
  readonly window: Latencies;
  readonly acked: number;
  /** Sends the gateway acknowledged (SENT) that never reached their recipient: must be 0. */
  readonly lost: number;
  readonly delivered: number;
  readonly duplicates: number;
  readonly outOfOrder: number;
  readonly elapsedSeconds: number;
  /** ms after the start at which each message was first received, by send index. */
  readonly receivedAt: ReadonlyMap<number, number>;
}

/**
 * Sends `rate` messages/s round-robin over the pairs for `seconds`, on schedule whatever the answers
 * (open loop), then waits up to `graceMs` for the stragglers. `during(ms)` is called on every tick.
 */
export async function runOpenLoop(
  pairs: readonly Pair[],
  o: {
    rate: number;
    seconds: number;
    graceMs: number;
    window?: { fromMs: number; toMs: number };
    during?: (elapsedMs: number) => void;
    /** Measures each send's delivered tick (the caller waits for the ticks after the run). */
    ticks?: TickTracker;
  },
): Promise<OpenLoopResult> {
  const started = new Map<string, { at: number; index: number }>();
  const latencies = new Latencies();
  const window = new Latencies();
  const receivedAt = new Map<number, number>();
  let duplicates = 0;
  let outOfOrder = 0;
  const t0 = performance.now();
  const offs = pairs.map((pair) => {
    const onMessage = (m: InboxMessage): void => {
      const s = started.get(m.clientMessageId);
      if (!s) return;
      if (receivedAt.has(s.index)) duplicates++;
      else {
        const now = performance.now();
        receivedAt.set(s.index, now - t0);
        latencies.add(now - s.at);
        const sentMs = s.at - t0;
        if (o.window && sentMs >= o.window.fromMs && sentMs < o.window.toMs) window.add(now - s.at);
      }
      if (m.seq !== pair.lastSeq + 1) outOfOrder++;
      pair.lastSeq = Math.max(pair.lastSeq, m.seq);
    };
    pair.recipient.on('message', onMessage);
    return () => pair.recipient.off('message', onMessage);
  });
  const total = Math.round(o.rate * o.seconds);
  const sends: Promise<unknown>[] = [];
  const ackedIndexes = new Set<number>();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const elapsed = performance.now() - t0;
      o.during?.(elapsed);
      const due = Math.min(total, Math.floor((elapsed / 1000) * o.rate));
      for (; sent < due; sent++) {
        const pair = pairs[sent % pairs.length]!;
        const clientMessageId = randomUUID();
        started.set(clientMessageId, { at: performance.now(), index: sent });
        const index = sent;
        const at = performance.now();
        sends.push(
          pair.sender
            .send(pair.conversationId, `bench ${sent}`, { clientMessageId })
            // A send left unanswered (its gateway died, say) promised nothing: not lost, not counted.
            .then(
              (r) => {
                ackedIndexes.add(index);
                o.ticks?.sent(r.messageId, at);
              },
              () => undefined,
            ),
        );
      }
      if (sent >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 2);
  });
  await Promise.allSettled(sends);
  const missing = (): number => [...ackedIndexes].filter((i) => !receivedAt.has(i)).length;
  const deadline = performance.now() + o.graceMs;
  while (missing() > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  offs.forEach((off) => off());
  return {
    latencies,
    window,
    acked: ackedIndexes.size,
    lost: missing(),
    delivered: receivedAt.size,
    duplicates,
    outOfOrder,
    elapsedSeconds: (performance.now() - t0) / 1000,
    receivedAt,
  };
}
