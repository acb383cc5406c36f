import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { REDIS } from '#libs/redis';

/** One token bucket: `ratePerSecond` units come back each second, up to `burst`. */
export interface Budget {
  /** The Redis key of the bucket (the client adds the deployment's prefix). */
  readonly key: string;
  readonly ratePerSecond: number;
  readonly burst: number;
  /** Whose budget it is, for the error message: "this device", "lookups of this account per day". */
  readonly what: string;
}

/** A budget of `count` units per hour, all of which may be spent at once. */
export const perHour = (key: string, count: number, what: string): Budget => ({
  key,
  ratePerSecond: count / 3600,
  burst: count,
  what,
});

/**
 * Takes from every bucket named in KEYS its cost, or from none: ARGV holds rate, burst and cost per key.
 * Time is Redis's own (TIME), so gateways with skewed clocks share one view. A bucket is a hash
 * {t: tokens, ts: ms} that expires once it would be full again. Returns {0, 0} when taken, else
 * {ms to wait, 1-based index of the bucket that waits longest}. A cost above the burst takes the burst.
 */
const TAKE = `
local now = redis.call('TIME')
local t = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local wait, which = 0, 0
local left = {}
for i = 1, #KEYS do
  local rate = tonumber(ARGV[3 * i - 2])
  local burst = tonumber(ARGV[3 * i - 1])
  local cost = math.min(tonumber(ARGV[3 * i]), burst)
  local v = redis.call('HMGET', KEYS[i], 't', 'ts')
  local have = tonumber(v[1]) or burst
  local since = tonumber(v[2]) or t
  have = math.min(burst, have + math.max(0, t - since) * rate / 1000)
  left[i] = have - cost
  if have < cost then
    local w = math.ceil((cost - have) * 1000 / rate)
    if w > wait then wait, which = w, i end
  end
end
if wait > 0 then return {wait, which} end
for i = 1, #KEYS do
  local rate = tonumber(ARGV[3 * i - 2])
  local burst = tonumber(ARGV[3 * i - 1])
  redis.call('HSET', KEYS[i], 't', tostring(left[i]), 'ts', t)
  redis.call('PEXPIRE', KEYS[i], math.ceil((burst - left[i]) * 1000 / rate) + 1000)
end
return {0, 0}
`;

/** A cost to take from one budget. */
export interface Charge {
  readonly budget: Budget;
  readonly cost: number;
}

/** Nothing was taken: wait `waitMs`; `budget` is the one that ran out (the longest wait). */
export interface Refusal {
  readonly waitMs: number;
  readonly budget: Budget;
}

type TakeCommand = (numKeys: number, ...args: Array<string | number>) => Promise<[number, number]>;

/**
 * Token buckets shared by every gateway, in Redis: one script call (one round trip) per check, however
 * many buckets it spans, so a device's frame is charged to the device and its account at once.
 *
 * Why Redis on every frame and not local buckets synced in batches: measured on the 2-core development
 * machine under load, the script costs about 0.2 ms per call in sequence and serves about 20,000 calls
 * per second from one connection (docs/operations.md, Limits). A frame already costs several round trips
 * (Cassandra, JetStream), so the check adds little, and a shared bucket cannot be overspent by spreading
 * sockets over gateways as a locally synced one could between two syncs.
 */
@Injectable()
export class SharedRateLimiter {
  private readonly take_: TakeCommand;

  constructor(@Inject(REDIS) redis: Redis) {
    // defineCommand runs EVALSHA and falls back to EVAL once after a script cache flush.
    redis.defineCommand('chatRateLimitTake', { lua: TAKE });
    const command = (redis as unknown as Record<string, TakeCommand>).chatRateLimitTake!;
    this.take_ = command.bind(redis);
  }

  /** Takes every charge, or none: undefined when taken, else which budget refused and for how long. */
  async take(charges: readonly Charge[]): Promise<Refusal | undefined> {
    if (charges.length === 0) return undefined;
    const args: Array<string | number> = charges.map((c) => c.budget.key);
    for (const c of charges) args.push(c.budget.ratePerSecond, c.budget.burst, c.cost);
    const [waitMs, which] = await this.take_(charges.length, ...args);
    return waitMs > 0 ? { waitMs: Number(waitMs), budget: charges[Number(which) - 1]!.budget } : undefined;
  }
}
