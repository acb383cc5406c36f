import { CpuMeter } from '../support/proc-stats.js';
import { startLoadStack } from '../support/load-stack.js';
import { runOpenLoop, setUpPairs } from '../support/pairs.js';
import { progress } from '../support/report.js';
import { round } from '../support/stats.js';

export interface OneToOneOptions {
  readonly pairs: number;
  /** Offered rates (messages/s over all pairs), tried in order until one fails. */
  readonly rates: readonly number[];
  readonly stepSeconds: number;
}

export interface StepResult extends Record<string, number> {
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

const FAIL_P99_MS = 50;
const TARGET_P99_MS = 20;

/**
 * Workload 1: P sender/recipient device pairs, each pair a 1:1 conversation, under an open-loop load
 * stepping up through the rates until p99 passes 50 ms or a message is lost. Latency is from the send
 * call to the recipient's SDK emitting the message, both in this process.
 */
export async function oneToOne(o: OneToOneOptions): Promise<{
  steps: StepResult[];
  bestRateAtTarget: number;
  /** The most messages/s any step delivered: the path's ceiling once a step saturates it. */
  peakDelivered: number;
  ok: boolean;
}> {
  const stack = await startLoadStack();
  try {
    const pairs = await setUpPairs(stack, o.pairs);
    const gateway = new CpuMeter(stack.gateways[0]!.child.pid!);
    const projector = new CpuMeter(stack.projector!.child.pid!);
    const steps: StepResult[] = [];
    for (const rate of o.rates) {
      progress(`  offering ${rate} msg/s for ${o.stepSeconds} s...`);
      gateway.begin();
      projector.begin();
      const r = await runOpenLoop(pairs, { rate, seconds: o.stepSeconds, graceMs: 5_000 });
      const g = gateway.end();
      const p = projector.end();
      const s = r.latencies.summary();
      const step: StepResult = {
        offered: rate,
        delivered: round(r.delivered / r.elapsedSeconds),
        p50: round(s.p50, 2),
        p95: round(s.p95, 2),
        p99: round(s.p99, 2),
        max: round(s.max, 2),
        lost: r.lost,
        duplicates: r.duplicates,
        outOfOrder: r.outOfOrder,
        gatewayCpu: round(g.cpuPercent),
        gatewayRssMiB: round(g.rssMiB),
        projectorCpu: round(p.cpuPercent),
        projectorRssMiB: round(p.rssMiB),
      };
      steps.push(step);
      progress(
        `  -> p50 ${step.p50} ms, p99 ${step.p99} ms, lost ${step.lost}, duplicates ${step.duplicates}`,
      );
      if (step.lost > 0 || step.duplicates > 0 || step.outOfOrder > 0 || step.p99 > FAIL_P99_MS) break;
    }
    const ok = steps.every((s) => s.lost === 0 && s.duplicates === 0 && s.outOfOrder === 0);
    const atTarget = steps.filter((s) => s.p99 <= TARGET_P99_MS && s.lost === 0).map((s) => s.offered);
    return {
      steps,
      bestRateAtTarget: atTarget.length ? Math.max(...atTarget) : 0,
      peakDelivered: Math.max(0, ...steps.filter((s) => s.lost === 0).map((s) => s.delivered)),
      ok,
    };
  } finally {
    await stack.stop();
  }
}
