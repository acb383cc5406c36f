import { newestResult } from './report.js';

type Rows = Array<Record<string, unknown>>;

/** The newest result of a workload, its body's `key` as rows (a missing run gives none). */
function rowsOf(workload: string, key: string): Rows {
  const body = newestResult(workload)?.body[key];
  if (Array.isArray(body)) return body as Rows;
  return body && typeof body === 'object' ? [body as Record<string, unknown>] : [];
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const ms = (v: unknown): string =>
  v === null || v === undefined || !Number.isFinite(num(v)) ? 'not measured' : `${num(v)} ms`;

/**
 * Issue 16's table (workload, target, measured) from the newest result file of each workload: `all`
 * prints it at the end, docs/benchmarks.md keeps it.
 */
export function issue16Table(): Array<{ workload: string; target: string; measured: string }> {
  const steps = rowsOf('one-to-one', 'steps');
  const at = (rate: number): string => {
    const s = steps.find((r) => num(r['offered']) === rate);
    return s ? ms(s['p99']) : 'not reached (stepping stopped earlier)';
  };
  const best50 = steps.filter((s) => num(s['p99']) <= 50 && num(s['lost']) === 0);
  const costsRun = newestResult('costs')?.body;
  const costs = costsRun?.['summary'] as Record<string, number> | undefined;
  const rates = costsRun?.['settings'] as { costRate?: number; tickRate?: number } | undefined;
  const group = rowsOf('group-fanout', 'rows');
  const groupP99 = (members: number): string => {
    const r = group.find((g) => num(g['members']) === members && g['acks'] === 'yes');
    return r ? ms(r['p99Ms']) : 'not run';
  };
  const sync = rowsOf('offline-sync', 'row')[0];
  const rebuild = rowsOf('rebuild', 'rows');
  const replay = rebuild.findIndex((r) => String(r['step']).includes('rebuild conversations'));
  const replayRow = replay >= 0 ? (rebuild[replay + 1] ?? rebuild[replay]) : undefined;
  return [
    { workload: '1:1 p99 send-to-receive at 500 msg/s', target: '≤ 5 ms', measured: at(500) },
    { workload: '1:1 p99 at 2,000 msg/s', target: '≤ 20 ms', measured: at(2000) },
    {
      workload: '1:1 highest delivered rate with p99 ≤ 50 ms',
      target: '≥ 5,000 msg/s',
      measured: best50.length ? `${Math.max(...best50.map((s) => num(s['delivered'])))} msg/s` : 'none',
    },
    {
      workload: `delivered tick round trip p99 at ${rates?.tickRate ?? '?'} msg/s (costs)`,
      target: '≤ 10 ms at 500 msg/s',
      measured: costs ? ms(costs['tickP99AtTickRate']) : 'not run',
    },
    {
      workload: `Cassandra statements per 1:1 message, both online, at ${rates?.costRate ?? '?'} msg/s`,
      target: '≤ 4',
      measured: costs ? String(costs['statementsPerMessage']) : 'not run',
    },
    {
      workload: 'NATS requests per 1:1 message',
      target: '(5 awaited today)',
      measured: costs ? String(costs['natsRequestsPerMessage']) : 'not run',
    },
    {
      workload: `whole-stack CPU s per 1,000 1:1 messages with ticks at ${rates?.costRate ?? '?'} msg/s`,
      target: '≤ 1 s',
      measured: costs
        ? `${costs['cpuSecondsPer1000']} s (apps alone ${costs['appCpuSecondsPer1000']} s)`
        : 'not run',
    },
    { workload: 'group 256, all acking, p99', target: '≤ 50 ms', measured: groupP99(256) },
    { workload: 'group 1024, all acking, p99', target: '≤ 250 ms', measured: groupP99(1024) },
    {
      workload: 'offline sync of 10,000 messages',
      target: '≤ 400 ms',
      measured: sync ? `${ms(sync['connectToLastMs'])} (${num(sync['messages'])} messages)` : 'not run',
    },
    {
      workload: 'rebuild conversations',
      target: '≥ 30,000 ev/s',
      measured: replayRow
        ? `${num(replayRow['eventsPerSecond'])} ev/s (${num(replayRow['events'])} events)`
        : 'not run',
    },
  ];
}
