import { setTimeout as sleep } from 'node:timers/promises';
import { startLoadStack } from '../support/load-stack.js';
import { runOpenLoop, setUpPairs } from '../support/pairs.js';
import { progress } from '../support/report.js';
import { between, StackMeter } from '../support/stack-meter.js';
import { round } from '../support/stats.js';
import { TickTracker } from '../support/tick-tracker.js';

export interface CostsOptions {
  readonly pairs: number;
  readonly idleSeconds: number;
  readonly stepSeconds: number;
  /** The rate at which the cost per message is measured (issue 16: 100 msg/s). */
  readonly costRate: number;
  /** The rate of the delivered-tick round trip figure (issue 16: 500 msg/s). */
  readonly tickRate: number;
  /** A low rate, to show what the stack burns when almost idle (issue 16: 20 msg/s). */
  readonly lowRate: number;
}

type Row = Record<string, number | string>;

/** A step whose delivery p99 is past this has saturated the stack. */
const SATURATED_P99_MS = 1000;

/**
 * Workload "costs": what one 1:1 message costs the whole stack (send, live delivery, the recipient's
 * acknowledgement, the delivered tick to the sender), both devices online, from the apps' own counters
 * (chat_cassandra_statements_total, chat_nats_requests_total) and the CPU of every server process from
 * /proc (the gateway, projector and notifier this run started, and the shared NATS, Redis and Cassandra,
 * which also serve anything else running on the machine). Also: idle and low-load CPU, and the
 * delivered-tick round trip at a higher rate.
 */
export async function costs(o: CostsOptions): Promise<{
  rows: Row[];
  callers: Row[];
  summary: Record<string, number>;
  ok: boolean;
}> {
  const stack = await startLoadStack();
  try {
    await stack.startNotifier();
    const pairs = await setUpPairs(stack, o.pairs);
    const meter = new StackMeter(stack);
    const rows: Row[] = [];
    let ok = true;

    progress(`  idle for ${o.idleSeconds} s...`);
    await sleep(2000); // set-up traffic settles
    const i0 = await meter.sample();
    await sleep(o.idleSeconds * 1000);
    const idle = between(i0, await meter.sample());
    const idleRow = phaseRow('idle', 0, o.idleSeconds, 0, idle);

    const step = async (
      name: string,
      rate: number,
    ): Promise<{ row: Row; phase: ReturnType<typeof between>; tickP99: number }> => {
      progress(`  ${name}: ${rate} msg/s for ${o.stepSeconds} s, with delivered ticks...`);
      const ticks = new TickTracker(pairs);
      const a = await meter.sample();
      const r = await runOpenLoop(pairs, { rate, seconds: o.stepSeconds, graceMs: 30_000, ticks });
      // A loaded machine may hold ticks back for seconds: late is measured, only never is a failure.
      const deadline = performance.now() + 30_000;
      while (ticks.missing > 0 && performance.now() < deadline) await sleep(20);
      ticks.stop();
      // Settle: the acknowledgements' own writes (receipts, inbox deletes) of the last messages.
      await sleep(1000);
      const phase = between(a, await meter.sample());
      const delivery = r.latencies.summary();
      const tick = ticks.latencies.summary();
      if (r.lost > 0 || r.duplicates > 0 || r.outOfOrder > 0 || ticks.missing > 0) ok = false;
      const row: Row = {
        ...phaseRow(name, rate, r.elapsedSeconds + 1, r.delivered, phase),
        deliveryP99: round(delivery.p99, 2),
        tickP50: round(tick.p50, 2),
        tickP99: round(tick.p99, 2),
        lost: r.lost,
        duplicates: r.duplicates,
        outOfOrder: r.outOfOrder,
        ticksMissing: ticks.missing,
      };
      progress(
        `  -> ${row.statementsPerMsg} statements/msg, ${row.natsRequestsPerMsg} NATS requests/msg, ${row.allCpuSecondsPer1000} CPU s per 1,000 (apps ${row.appCpuSecondsPer1000}), tick p99 ${row.tickP99} ms`,
      );
      return { row, phase, tickP99: tick.p99 };
    };

    rows.push((await step('low load', o.lowRate)).row);
    const cost = await step('cost', o.costRate);
    rows.push(cost.row);
    // Past saturation a higher rate only queues (seconds of latency, redeliveries): not measured.
    const saturated = Number(cost.row.deliveryP99) > SATURATED_P99_MS;
    if (saturated)
      progress(
        `  saturated at ${o.costRate} msg/s (delivery p99 ${cost.row.deliveryP99} ms): ${o.tickRate} msg/s not offered`,
      );
    const tick = saturated ? cost : await step('ticks', o.tickRate);
    if (!saturated) rows.push(tick.row);
    // Last, so the table takes its columns from a loaded row; per second here.
    rows.push({ ...Object.fromEntries(Object.keys(tick.row).map((k) => [k, '-'])), ...idleRow });

    const messages = Number(cost.row.messages) || 1;
    const callers = [...cost.phase.byCaller]
      .map(([caller, n]) => ({ caller, perMessage: round(n / messages, 3) }))
      .filter((c) => c.perMessage >= 0.001)
      .sort((a, b) => b.perMessage - a.perMessage);
    return {
      rows,
      callers,
      summary: {
        statementsPerMessage: Number(cost.row.statementsPerMsg),
        cassandraRequestsPerMessage: Number(cost.row.cqlRequestsPerMsg),
        natsRequestsPerMessage: Number(cost.row.natsRequestsPerMsg),
        cpuSecondsPer1000: Number(cost.row.allCpuSecondsPer1000),
        appCpuSecondsPer1000: Number(cost.row.appCpuSecondsPer1000),
        tickP99AtTickRate: saturated ? NaN : round(tick.tickP99, 2),
        idleAppCpuPercent: Number(idleRow.appCpuPercent),
      },
      ok,
    };
  } finally {
    await stack.stop();
  }
}

function phaseRow(
  phase: string,
  rate: number,
  seconds: number,
  messages: number,
  d: ReturnType<typeof between>,
): Row {
  const per = (n: number): number => (messages > 0 ? round(n / messages, 2) : round(n / seconds, 1));
  const cpu = (name: string): number => round((100 * (d.cpu.get(name) ?? 0)) / seconds);
  return {
    phase,
    rate,
    messages,
    // Per message under load; per second when idle.
    statementsPerMsg: per(d.statements),
    cqlRequestsPerMsg: per(d.cassandraRequests),
    natsRequestsPerMsg: per(d.natsRequests),
    appCpuSecondsPer1000: messages > 0 ? round((1000 * d.appCpuSeconds) / messages, 2) : 0,
    allCpuSecondsPer1000: messages > 0 ? round((1000 * d.allCpuSeconds) / messages, 2) : 0,
    appCpuPercent: round((100 * d.appCpuSeconds) / seconds),
    gatewayCpu: cpu('gateway-1'),
    projectorCpu: cpu('projector'),
    notifierCpu: cpu('notifier-1'),
    natsCpu: cpu('nats'),
    redisCpu: cpu('redis'),
    cassandraCpu: cpu('cassandra'),
  };
}
