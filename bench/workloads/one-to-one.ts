import { randomUUID } from 'node:crypto';
import type { ChatClient } from '#libs/client-sdk';
import type { InboxMessage } from '#libs/protocol';
import { CpuMeter } from '../support/proc-stats.js';
import { startLoadStack, signUpMany } from '../support/load-stack.js';
import { progress } from '../support/report.js';
import { Latencies, round } from '../support/stats.js';

export interface OneToOneOptions {
  readonly pairs: number;
  /** Offered rates (messages/s over all pairs), tried in order until one fails. */
  readonly rates: readonly number[];
  readonly stepSeconds: number;
}

export interface StepResult extends Record<string, number | boolean> {
  offered: number;
  delivered: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  lost: number;
  duplicates: number;
  outOfOrder: number;
  gatewayCpu: number;
  gatewayRssMiB: number;
  projectorCpu: number;
  projectorRssMiB: number;
}

const GRACE_MS = 5_000;
const FAIL_P99_MS = 50;
const TARGET_P99_MS = 20;

/**
 * Workload 1: P sender/recipient device pairs, each pair a 1:1 conversation, under an open-loop load
 * (sends go out on schedule, whether or not earlier ones were answered) stepping up through the rates.
 * Latency is from the send call to the recipient's SDK emitting the message, both in this process.
 */
export async function oneToOne(o: OneToOneOptions): Promise<{
  steps: StepResult[];
  bestRateAtTarget: number;
  ok: boolean;
}> {
  const stack = await startLoadStack();
  try {
    const users = await signUpMany(stack, o.pairs * 2);
    const pairs: Array<{
      sender: ChatClient;
      recipient: ChatClient;
      conversationId: string;
      lastSeq: number;
    }> = [];
    for (let i = 0; i < o.pairs; i++) {
      const [from, to] = [users[2 * i]!, users[2 * i + 1]!];
      const sender = await from.connect();
      const recipient = await to.connect();
      const { conversationId } = await sender.openDirect(to.userId);
      pairs.push({ sender, recipient, conversationId, lastSeq: 0 });
    }
    const gateway = new CpuMeter(stack.gateways[0]!.child.pid!);
    const projector = new CpuMeter(stack.projector!.child.pid!);
    const steps: StepResult[] = [];
    for (const rate of o.rates) {
      const started = new Map<string, number>();
      const latencies = new Latencies();
      const seen = new Set<string>();
      let duplicates = 0;
      let outOfOrder = 0;
      const listeners = pairs.map((pair) => {
        const onMessage = (m: InboxMessage): void => {
          const t0 = started.get(m.clientMessageId);
          if (t0 === undefined) return;
          if (seen.has(m.clientMessageId)) duplicates++;
          else latencies.add(performance.now() - t0);
          seen.add(m.clientMessageId);
          if (m.seq !== pair.lastSeq + 1) outOfOrder++;
          pair.lastSeq = Math.max(pair.lastSeq, m.seq);
        };
        pair.recipient.on('message', onMessage);
        return () => pair.recipient.off('message', onMessage);
      });
      progress(`  offering ${rate} msg/s for ${o.stepSeconds} s...`);
      gateway.begin();
      projector.begin();
      const total = Math.round(rate * o.stepSeconds);
      const t0 = performance.now();
      let sent = 0;
      const sends: Promise<unknown>[] = [];
      await new Promise<void>((resolve) => {
        const tick = setInterval(() => {
          const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
          for (; sent < due; sent++) {
            const pair = pairs[sent % pairs.length]!;
            const clientMessageId = randomUUID();
            started.set(clientMessageId, performance.now());
            sends.push(pair.sender.send(pair.conversationId, `bench ${sent}`, { clientMessageId }));
          }
          if (sent >= total) {
            clearInterval(tick);
            resolve();
          }
        }, 2);
      });
      const acked = (await Promise.allSettled(sends)).filter((r) => r.status === 'fulfilled').length;
      const deadline = performance.now() + GRACE_MS;
      while (seen.size < acked && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const elapsed = (performance.now() - t0) / 1000;
      const g = gateway.end();
      const p = projector.end();
      listeners.forEach((off) => off());
      const s = latencies.summary();
      const step: StepResult = {
        offered: rate,
        delivered: round(seen.size / elapsed),
        p50: round(s.p50, 2),
        p95: round(s.p95, 2),
        p99: round(s.p99, 2),
        max: round(s.max, 2),
        lost: acked - seen.size,
        duplicates,
        outOfOrder,
        gatewayCpu: round(g.cpuPercent),
        gatewayRssMiB: round(g.rssMiB),
        projectorCpu: round(p.cpuPercent),
        projectorRssMiB: round(p.rssMiB),
      };
      steps.push(step);
      progress(`  -> p50 ${step.p50} ms, p99 ${step.p99} ms, lost ${step.lost}, duplicates ${duplicates}`);
      if (step.lost > 0 || duplicates > 0 || outOfOrder > 0 || step.p99 > FAIL_P99_MS) break;
    }
    const ok = steps.every((s) => s.lost === 0 && s.duplicates === 0 && s.outOfOrder === 0);
    const atTarget = steps.filter((s) => s.p99 <= TARGET_P99_MS && s.lost === 0).map((s) => s.offered);
    return { steps, bestRateAtTarget: atTarget.length ? Math.max(...atTarget) : 0, ok };
  } finally {
    await stack.stop();
  }
}
