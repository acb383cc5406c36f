import { setTimeout as sleep } from 'node:timers/promises';
import type { AppProcess } from '../../test/support/app-process.js';
import { DeviceFleet } from '../support/device-fleet.js';
import { metricSum, scrapeMetrics } from '../support/gateway-metrics.js';
import { signUpMany, startLoadStack } from '../support/load-stack.js';
import { openFilesLimit, procSample } from '../support/proc-stats.js';
import { progress } from '../support/report.js';
import { round } from '../support/stats.js';

/** File descriptors a gateway needs besides its device sockets (NATS, Redis, Cassandra, logs, libraries). */
const RESERVED_FDS = 1000;
/** The SDK's default, which the gateway confirms in every heartbeat answer. */
const HEARTBEAT_INTERVAL_MS = 5000;

export interface IdleConnectionsSettings {
  /** Connection counts to reach, in order (each step adds devices to the previous ones). */
  readonly steps: readonly number[];
  /** Gateway processes sharing the devices (1: everything on ONE process, the workload's point). */
  readonly gateways: number;
  readonly processes: number;
  readonly heartbeatWindowSeconds: number;
}

const heartbeatFrames = (m: string, outcome?: string): number =>
  metricSum(m, 'chat_gateway_frames_total', {
    type: 'presence.heartbeat',
    ...(outcome !== undefined && { outcome }),
  });

/** What every gateway reports, added up: counters from /metrics, CPU and RSS from /proc. */
async function sampleGateways(
  gateways: readonly AppProcess[],
): Promise<{ beats: number; frames: number; connections: number; cpuSeconds: number; rssBytes: number }> {
  const all = await Promise.all(
    gateways.map(async (g) => {
      const m = await scrapeMetrics(g.managementUrl);
      return {
        beats: heartbeatFrames(m, 'ok'),
        frames: heartbeatFrames(m),
        connections: metricSum(m, 'chat_gateway_connections'),
        ...procSample(g.child.pid!),
      };
    }),
  );
  return all.reduce((a, s) => ({
    beats: a.beats + s.beats,
    frames: a.frames + s.frames,
    connections: a.connections + s.connections,
    cpuSeconds: a.cpuSeconds + s.cpuSeconds,
    rssBytes: a.rssBytes + s.rssBytes,
  }));
}

/**
 * Workload 4: authenticated idle devices (signed up through the HTTP API, SDK clients over real
 * WebSockets, spread over several load processes and loopback source addresses) on ONE gateway
 * process (or on `gateways` processes). Per step: gateway RSS per connection, time to accept them all
 * (connect + auth + first sync), and the gateway's CPU over a window in which every device heartbeats
 * at the default interval. A step above what the gateways' open-files limit allows is reported as
 * impossible, with the limit, and the most that fits is run instead.
 */
export async function idleConnections(o: IdleConnectionsSettings): Promise<{
  rows: Array<Record<string, string | number>>;
  openFiles: { soft: number; hard: number };
  impossible: number[];
  ok: boolean;
}> {
  // Tokens must outlive sign-up plus connecting (minutes at 19,000 devices); nothing else is raised:
  // the HTTP API has no per-address sign-up or auth limit, only codes per phone number per hour.
  const stack = await startLoadStack(o.gateways, { ACCESS_TOKEN_TTL_SECONDS: '7200' });
  const fleet = DeviceFleet.start(o.processes);
  try {
    const gateways = stack.gateways;
    const openFiles = openFilesLimit(gateways[0]!.child.pid!);
    const fit = (openFiles.soft - RESERVED_FDS) * gateways.length;
    const runnable = [...new Set(o.steps.map((s) => Math.min(s, fit)))].sort((a, b) => a - b);
    const impossible = o.steps.filter((s) => s > fit);
    for (const s of impossible)
      progress(
        `  ${s} connections on ${gateways.length} gateway process(es): impossible here (open files: soft ${openFiles.soft}, hard ${openFiles.hard} per process); running ${fit} instead`,
      );
    const total = runnable.at(-1)!;
    progress(`  signing up ${total} users (one device each)...`);
    const devices = await signUpMany(stack, total, 64);
    const tokens = devices.map((d) => d.tokens.accessToken);
    await sleep(2000); // let sign-up garbage settle before the baseline
    const baseline = (await sampleGateways(gateways)).rssBytes;
    progress(
      `  gateway RSS ${round(baseline / 2 ** 20)} MiB (all ${gateways.length}) before any device connects`,
    );

    const rows: Array<Record<string, string | number>> = [];
    let ok = true;
    let connected = 0;
    for (const step of runnable) {
      progress(
        `  connecting ${step - connected} more devices (to ${step}) over ${o.processes} load processes...`,
      );
      const t0 = performance.now();
      const r = await fleet.connect(stack.wsUrls, tokens.slice(connected, step), { sdkHeartbeats: true });
      const acceptSeconds = (performance.now() - t0) / 1000;
      const added = step - connected;
      connected = step;
      if (r.firstError) progress(`  first connect failure: ${r.firstError}`);
      await sleep(2000);

      // Heartbeat CPU: every device heartbeats every 5 s by itself; count them from the gateway's side.
      const s0 = await sampleGateways(gateways);
      const w0 = performance.now();
      progress(`  ${r.open} connected; measuring ${o.heartbeatWindowSeconds} s of heartbeats...`);
      await sleep(o.heartbeatWindowSeconds * 1000);
      const s1 = await sampleGateways(gateways);
      const seconds = (performance.now() - w0) / 1000;
      const beats = s1.beats - s0.beats;
      const refused = s1.frames - s0.frames - beats;
      const fleetStats = await fleet.stats();
      // Each device beats floor or ceil(window / interval) times in the window, depending on its phase;
      // devices that connected together share phases, so the total is not the average rate times the
      // window (a 6 s window held 200 or 400 beats of 200 devices, not 240).
      const periods = (seconds * 1000) / HEARTBEAT_INTERVAL_MS;
      const stepOk =
        r.failed === 0 &&
        fleetStats.open === step &&
        fleetStats.drops === 0 &&
        s1.connections === step &&
        refused === 0 &&
        beats >= step * Math.floor(periods) * 0.8 &&
        beats <= step * Math.ceil(periods) * 1.2;
      ok &&= stepOk;
      rows.push({
        connections: step,
        gateways: gateways.length,
        failed: r.failed,
        drops: fleetStats.drops,
        gatewayCounts: s1.connections,
        acceptSeconds: round(acceptSeconds, 2),
        acceptPerSecond: Math.round(added / acceptSeconds),
        rssMiB: round(s0.rssBytes / 2 ** 20),
        bytesPerConnection: Math.round((s0.rssBytes - baseline) / step),
        heartbeatsPerSecond: Math.round(beats / seconds),
        heartbeatCpuPercent: round((100 * (s1.cpuSeconds - s0.cpuSeconds)) / seconds, 2),
        cpuMicrosPerHeartbeat: beats > 0 ? round(((s1.cpuSeconds - s0.cpuSeconds) * 1e6) / beats) : NaN,
        verdict: stepOk ? 'PASS' : 'FAIL',
      });
    }
    return { rows, openFiles, impossible, ok };
  } finally {
    await fleet.close();
    await stack.stop();
  }
}
