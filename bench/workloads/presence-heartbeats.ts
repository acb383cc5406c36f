import { setTimeout as sleep } from 'node:timers/promises';
import { createRedis } from '#libs/redis';
import { DeviceFleet } from '../support/device-fleet.js';
import type { FleetStats } from '../support/fleet-messages.js';
import { metricSum, scrapeMetrics } from '../support/gateway-metrics.js';
import { signUpMany, startLoadStack } from '../support/load-stack.js';
import { procSample } from '../support/proc-stats.js';
import { progress } from '../support/report.js';
import { round } from '../support/stats.js';

const HEARTBEAT_INTERVAL_MS = 5000;

export interface PresenceHeartbeatsSettings {
  readonly devices: number;
  readonly processes: number;
  /** Offered heartbeats per second after the configured interval's rate, until absorption falls below 90 %. */
  readonly rates: readonly number[];
  readonly stepSeconds: number;
}

type Redis = ReturnType<typeof createRedis>;

/** Redis's CPU seconds and script calls so far (the gateway flushes heartbeats in one script call). */
async function redisCounters(redis: Redis): Promise<{ cpu: number; scripts: number }> {
  const info = `${await redis.info('cpu')}\n${await redis.info('commandstats')}`;
  const num = (re: RegExp): number => Number(re.exec(info)?.[1] ?? 0);
  return {
    cpu: num(/used_cpu_sys:([\d.]+)/) + num(/used_cpu_user:([\d.]+)/),
    scripts: num(/cmdstat_evalsha:calls=(\d+)/) + num(/cmdstat_eval:calls=(\d+)/),
  };
}

/**
 * Heartbeats one gateway process and Redis absorb from connected devices, and their CPU cost: first
 * at the configured interval (devices / 5 s), then at higher offered rates to find the ceiling (of
 * the gateway, or of the load processes on a small machine: their CPU is reported too). Correct when
 * every device stays connected and, at the configured interval, every heartbeat is answered.
 */
export async function presenceHeartbeats(o: PresenceHeartbeatsSettings): Promise<{
  rows: Array<Record<string, string | number>>;
  /** The offered rate at which the gateway stopped answering its metrics endpoint, if one did. */
  saturatedAt?: number;
  ok: boolean;
}> {
  const stack = await startLoadStack(1, {
    PRESENCE_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_INTERVAL_MS),
    ACCESS_TOKEN_TTL_SECONDS: '7200',
  });
  const fleet = DeviceFleet.start(o.processes);
  const redis = createRedis(stack.env.redis, 'bench-presence');
  try {
    const gateway = stack.gateways[0]!;
    const pid = gateway.child.pid!;
    if (redis.status !== 'ready') await new Promise((r) => redis.once('ready', r));
    const devices = await signUpMany(stack, o.devices, 64);
    progress(`  connecting ${o.devices} devices over ${o.processes} load processes...`);
    // The load processes drive the heartbeats, so the offered rate is exact and every answer counted.
    const connected = await fleet.connect(
      stack.wsUrls,
      devices.map((d) => d.tokens.accessToken),
      { sdkHeartbeats: false },
    );
    if (connected.firstError) progress(`  first connect failure: ${connected.firstError}`);
    const rows: Array<Record<string, string | number>> = [];
    let saturatedAt: number | undefined;
    let ok = connected.failed === 0 && connected.open === o.devices;
    const intervalRate = Math.round(o.devices / (HEARTBEAT_INTERVAL_MS / 1000));
    for (const [i, rate] of [intervalRate, ...o.rates.filter((r) => r > intervalRate)].entries()) {
      fleet.setHeartbeatRate(rate);
      await sleep(1000); // settle
      const sample = async (): Promise<
        [FleetStats, string, { cpu: number; scripts: number }, number, number]
      > => [
        await fleet.stats(),
        await scrapeMetrics(gateway.managementUrl),
        await redisCounters(redis),
        procSample(pid).cpuSeconds,
        performance.now(),
      ];
      let samples;
      try {
        const first = await sample();
        await sleep(o.stepSeconds * 1000);
        samples = [first, await sample()] as const;
      } catch (err) {
        // Past the ceiling the gateway's own HTTP endpoint stops answering in time: that is the finding.
        if (i === 0) throw err;
        saturatedAt = rate;
        progress(`  at ${rate}/s the gateway no longer answers /metrics (${String(err)}): saturated`);
        break;
      }
      const [[s0, m0, r0, g0, t0], [s1, m1, r1, g1, t1]] = samples;
      const wall = (t1 - t0) / 1000;
      const beats = (m: string): number =>
        metricSum(m, 'chat_gateway_frames_total', { type: 'presence.heartbeat', outcome: 'ok' });
      const absorbed = (beats(m1) - beats(m0)) / wall;
      const row = {
        offeredPerSecond: rate,
        sentPerSecond: Math.round((s1.sent - s0.sent) / wall),
        absorbedPerSecond: Math.round(absorbed),
        answeredPerSecond: Math.round((s1.answered - s0.answered) / wall),
        errorsPerSecond: Math.round((s1.errors - s0.errors) / wall),
        openDevices: s1.open,
        gatewayCpuPercent: round((100 * (g1 - g0)) / wall),
        cpuMicrosPerHeartbeat: absorbed > 0 ? round(((g1 - g0) * 1e6) / (absorbed * wall)) : NaN,
        redisCpuPercent: round((100 * (r1.cpu - r0.cpu)) / wall),
        redisScriptCallsPerSecond: round((r1.scripts - r0.scripts) / wall),
        loadCpuPercent: round((100 * (s1.cpuSeconds - s0.cpuSeconds)) / wall),
      };
      rows.push(row);
      progress(`  ${JSON.stringify(row)}`);
      if (i === 0) {
        // At the configured interval nothing may be refused or lost, and every device stays online.
        // Compared exactly once the load stops and every heartbeat in flight is answered: rates sampled
        // on a loaded machine skew by a few percent between the load processes and the gateway.
        fleet.setHeartbeatRate(0);
        let settled = await fleet.stats();
        for (
          let waited = 0;
          settled.answered + settled.errors < settled.sent && waited < 30_000;
          waited += 200
        ) {
          await sleep(200);
          settled = await fleet.stats();
        }
        const gatewayOk = beats(await scrapeMetrics(gateway.managementUrl));
        ok &&=
          settled.errors === 0 &&
          settled.answered === settled.sent &&
          gatewayOk === settled.answered &&
          settled.open === o.devices &&
          settled.drops === 0;
        progress(
          `  at the interval: ${settled.sent} heartbeats sent, ${settled.answered} answered, ${settled.errors} errors; the gateway counted ${gatewayOk} accepted`,
        );
      }
      if (absorbed < rate * 0.9) break; // past the ceiling
    }
    fleet.setHeartbeatRate(0);
    return { rows, ok, ...(saturatedAt !== undefined && { saturatedAt }) };
  } finally {
    redis.disconnect();
    await fleet.close();
    await stack.stop();
  }
}
