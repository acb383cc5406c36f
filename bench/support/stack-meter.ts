import { readdirSync, readFileSync } from 'node:fs';
import type { ChatStack } from '../../test/support/chat-stack.js';
import { metricSum, scrapeMetrics } from './gateway-metrics.js';
import { procSample } from './proc-stats.js';

/** The shared servers' processes (NATS, Redis, Cassandra), found by name in /proc. */
export function infraPids(): Map<string, number> {
  const found = new Map<string, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (comm === 'nats-server') found.set('nats', Number(entry));
      else if (comm === 'redis-server') found.set('redis', Number(entry));
      else if (comm === 'java') {
        const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
        if (cmd.includes('CassandraDaemon')) found.set('cassandra', Number(entry));
      }
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

export interface StackSample {
  /** CPU seconds by process name (gateway-1, projector, notifier-1, nats, redis, cassandra). */
  readonly cpu: ReadonlyMap<string, number>;
  readonly statements: number;
  readonly cassandraRequests: number;
  readonly natsRequests: number;
  /** Statements by caller, NATS requests by kind, over every app. */
  readonly byCaller: ReadonlyMap<string, number>;
}

/**
 * CPU of every server process of a benchmark stack (the apps it started and the shared NATS, Redis and
 * Cassandra: those also serve whatever else runs on the machine) and the apps' own counts of Cassandra
 * statements and NATS requests (chat_cassandra_statements_total, chat_nats_requests_total).
 */
export class StackMeter {
  private readonly infra = infraPids();

  constructor(private readonly stack: ChatStack) {}

  private apps(): Array<{ name: string; pid: number; managementUrl: string }> {
    const { gateways, projector, notifiers } = this.stack;
    return [
      ...gateways.map((g, i) => ({ name: `gateway-${i + 1}`, p: g })),
      ...(projector ? [{ name: 'projector', p: projector }] : []),
      ...notifiers.map((n, i) => ({ name: `notifier-${i + 1}`, p: n })),
    ]
      .filter(({ p }) => p.child.exitCode === null && p.child.pid !== undefined)
      .map(({ name, p }) => ({ name, pid: p.child.pid!, managementUrl: p.managementUrl }));
  }

  async sample(): Promise<StackSample> {
    const cpu = new Map<string, number>();
    const byCaller = new Map<string, number>();
    let statements = 0;
    let cassandraRequests = 0;
    let natsRequests = 0;
    for (const app of this.apps()) {
      cpu.set(app.name, procSample(app.pid).cpuSeconds);
      const text = await scrapeMetrics(app.managementUrl);
      statements += metricSum(text, 'chat_cassandra_statements_total');
      cassandraRequests += metricSum(text, 'chat_cassandra_requests_total');
      natsRequests += metricSum(text, 'chat_nats_requests_total');
      for (const line of text.split('\n')) {
        const m = /^(chat_cassandra_statements_total|chat_nats_requests_total)\{(.*)\} (\S+)$/.exec(line);
        if (!m) continue;
        const key = `${m[1] === 'chat_nats_requests_total' ? 'nats' : 'cql'} ${app.name.replace(/-\d+$/, '')} ${m[2]!.replace(/(service|instance)="[^"]*",?/g, '').replace(/,$/, '')}`;
        byCaller.set(key, (byCaller.get(key) ?? 0) + Number(m[3]));
      }
    }
    for (const [name, pid] of this.infra) {
      try {
        cpu.set(name, procSample(pid).cpuSeconds);
      } catch {
        // Gone (restarted by someone): counted as nothing from here on.
      }
    }
    return { cpu, statements, cassandraRequests, natsRequests, byCaller };
  }
}

/** What happened between two samples. */
export function between(
  a: StackSample,
  b: StackSample,
): {
  cpu: Map<string, number>;
  appCpuSeconds: number;
  allCpuSeconds: number;
  statements: number;
  cassandraRequests: number;
  natsRequests: number;
  byCaller: Map<string, number>;
} {
  const cpu = new Map<string, number>();
  for (const [k, v] of b.cpu) cpu.set(k, v - (a.cpu.get(k) ?? v));
  const infra = new Set(['nats', 'redis', 'cassandra']);
  let appCpuSeconds = 0;
  let allCpuSeconds = 0;
  for (const [k, v] of cpu) {
    allCpuSeconds += v;
    if (!infra.has(k)) appCpuSeconds += v;
  }
  const byCaller = new Map<string, number>();
  for (const [k, v] of b.byCaller) {
    const d = v - (a.byCaller.get(k) ?? 0);
    if (d > 0) byCaller.set(k, d);
  }
  return {
    cpu,
    appCpuSeconds,
    allCpuSeconds,
    statements: b.statements - a.statements,
    cassandraRequests: b.cassandraRequests - a.cassandraRequests,
    natsRequests: b.natsRequests - a.natsRequests,
    byCaller,
  };
}
