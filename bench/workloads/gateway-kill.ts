import { startLoadStack } from '../support/load-stack.js';
import { runOpenLoop, setUpPairs } from '../support/pairs.js';
import { progress } from '../support/report.js';
import { round } from '../support/stats.js';

const RECOVERY_WINDOW_MS = 5_000;

/**
 * Workload 7: the 1:1 load over two gateways (half the pairs on each); a third of the way in, one
 * gateway is killed with SIGKILL. Its devices reconnect to the other and resume from their cursors; the
 * SDK re-sends unanswered sends with the same client message id. Nothing may be lost or duplicated.
 */
export async function gatewayKill(o: { pairs: number; rate: number; seconds: number }): Promise<{
  row: Record<string, number>;
  ok: boolean;
}> {
  const stack = await startLoadStack(2);
  try {
    const pairs = await setUpPairs(stack, o.pairs, (i) => i % 2);
    const killAtMs = (o.seconds * 1000) / 3;
    let killed = false;
    progress(
      `  ${o.rate} msg/s for ${o.seconds} s; killing gateway 1 of 2 at ${round(killAtMs / 1000)} s...`,
    );
    const r = await runOpenLoop(pairs, {
      rate: o.rate,
      seconds: o.seconds,
      graceMs: 30_000,
      window: { fromMs: killAtMs, toMs: killAtMs + RECOVERY_WINDOW_MS },
      during: (elapsed) => {
        if (!killed && elapsed >= killAtMs) {
          killed = true;
          void stack.gateways[0]!.stop('SIGKILL');
        }
      },
    });
    // Recovery: for each pair that lived on the killed gateway, the first delivery of a message sent
    // after the kill; the slowest of these is when the last affected conversation flowed again.
    let recoveredMs = 0;
    for (let p = 0; p < pairs.length; p += 2) {
      let first = Infinity;
      for (const [index, at] of r.receivedAt) {
        if (index % pairs.length !== p || (index / o.rate) * 1000 < killAtMs) continue;
        first = Math.min(first, at);
      }
      recoveredMs = Math.max(recoveredMs, first - killAtMs);
    }
    const all = r.latencies.summary();
    const during = r.window.summary();
    const row = {
      offered: o.rate,
      sent: r.acked,
      lost: r.lost,
      duplicates: r.duplicates,
      outOfOrder: r.outOfOrder,
      p99: round(all.p99, 2),
      p99Recovery: round(during.p99, 2),
      maxRecovery: round(during.max, 2),
      timeToRecoverMs: round(recoveredMs),
    };
    return {
      row,
      ok: row.lost === 0 && row.duplicates === 0 && row.outOfOrder === 0 && Number.isFinite(recoveredMs),
    };
  } finally {
    await stack.stop();
  }
}
