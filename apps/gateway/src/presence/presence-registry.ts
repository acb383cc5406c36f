import type { Redis } from 'ioredis';

/** One device's activity, as a gateway collected it since its last flush. */
export interface DeviceActivity {
  readonly userId: string;
  readonly deviceId: string;
  readonly at: number;
}

export interface CameOnline {
  readonly userId: string;
  readonly deviceId: string;
  readonly at: number;
}

export interface WentOffline {
  readonly userId: string;
  readonly lastSeen: number;
}

export interface DevicePresence {
  readonly deviceId: string;
  readonly instance: string;
  readonly lastActive: number;
}

/**
 * Keys (all under the client's prefix):
 *   presence:dev:<userId>       hash deviceId -> "<gateway INSTANCE_ID>|<last active ms>": the connection
 *                               registry; its TTL (threshold + registry TTL) is refreshed on every write,
 *                               so the devices of a gateway that crashed disappear by themselves
 *   presence:deadlines          sorted set "<userId>/<deviceId>" by the ms at which the device goes offline
 *   presence:online             set of users online (the transition flag: SADD / SREM say who moved)
 *   presence:lastseen:<userId>  last seen in ms, for queries before the projector caught up
 * Every transition is decided inside one script, so of all gateways exactly one sees it.
 * (Redis Cluster: these keys would need a shared hash tag or a split per slot; one Redis for now.)
 */
const TOUCH = `
local prefix, inst, threshold, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local out = {}
for i = 5, #ARGV, 3 do
  local u, d, at = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local h = prefix .. 'dev:' .. u
  redis.call('HSET', h, d, inst .. '|' .. at)
  redis.call('PEXPIRE', h, threshold + ttl)
  redis.call('ZADD', KEYS[1], at + threshold, u .. '/' .. d)
  if redis.call('SADD', KEYS[2], u) == 1 then
    out[#out + 1] = u
    out[#out + 1] = d
    out[#out + 1] = tostring(at)
  end
end
return out
`;

/** A device that left this gateway: due now, if this gateway still holds it (it may have moved on). */
const LEAVE = `
local prefix, inst, at = ARGV[1], ARGV[2], ARGV[5]
local u, d = ARGV[3], ARGV[4]
local h = prefix .. 'dev:' .. u
local v = redis.call('HGET', h, d)
if v and string.sub(v, 1, string.len(inst) + 1) == inst .. '|' then
  redis.call('HSET', h, d, inst .. '|' .. at)
  redis.call('ZADD', KEYS[1], 0, u .. '/' .. d)
  return 1
end
return 0
`;

const SWEEP = `
local prefix, now, threshold, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, limit)
local out = { tostring(#due / 2) }
local function activeOf(v)
  if not v then return nil end
  local bar = string.find(v, '|', 1, true)
  return tonumber(string.sub(v, bar + 1))
end
for i = 1, #due, 2 do
  local m, score = due[i], tonumber(due[i + 1])
  redis.call('ZREM', KEYS[1], m)
  local sep = string.find(m, '/', 1, true)
  local u, d = string.sub(m, 1, sep - 1), string.sub(m, sep + 1)
  local h = prefix .. 'dev:' .. u
  local last = activeOf(redis.call('HGET', h, d))
  if last and score > 0 and last + threshold > now then
    -- a heartbeat moved it on meanwhile: not due after all
    redis.call('ZADD', KEYS[1], last + threshold, m)
  else
    -- the registry entry expired with its gateway: the deadline says when it was last active
    if not last then last = math.max(0, score - threshold) end
    redis.call('HDEL', h, d)
    local still = false
    for _, v in ipairs(redis.call('HVALS', h)) do
      local a = activeOf(v)
      if a + threshold > now then still = true elseif a > last then last = a end
    end
    if not still and redis.call('SREM', KEYS[2], u) == 1 then
      local lk = prefix .. 'lastseen:' .. u
      if last > tonumber(redis.call('GET', lk) or '0') then redis.call('SET', lk, last) end
      out[#out + 1] = u
      out[#out + 1] = tostring(last)
    end
  end
end
return out
`;

const SWEEP_BATCH = 500;

/** The presence state in Redis: which gateway holds which device, its last activity, who is online. */
export class PresenceRegistry {
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    private readonly instance: string,
    private readonly thresholdMs: number,
    private readonly registryTtlMs: number,
  ) {
    this.prefix = `${redis.options.keyPrefix ?? ''}presence:`;
  }

  private keys(): [string, string] {
    return ['presence:deadlines', 'presence:online'];
  }

  /** Records the activity of many devices in one script call; answers the users who came online. */
  async touch(batch: readonly DeviceActivity[]): Promise<CameOnline[]> {
    if (batch.length === 0) return [];
    const args = batch.flatMap((a) => [a.userId, a.deviceId, String(a.at)]);
    const out = (await this.redis.eval(
      TOUCH,
      2,
      ...this.keys(),
      this.prefix,
      this.instance,
      String(this.thresholdMs),
      String(this.registryTtlMs),
      ...args,
    )) as string[];
    const came: CameOnline[] = [];
    for (let i = 0; i < out.length; i += 3)
      came.push({ userId: out[i]!, deviceId: out[i + 1]!, at: Number(out[i + 2]) });
    return came;
  }

  /** Marks a device that disconnected from this gateway as due; the next sweep decides. */
  async leave(userId: string, deviceId: string, at: number): Promise<void> {
    await this.redis.eval(LEAVE, 2, ...this.keys(), this.prefix, this.instance, userId, deviceId, String(at));
  }

  /** Takes every device past its deadline off the registry; answers the users who went offline. */
  async sweep(now: number): Promise<WentOffline[]> {
    const gone: WentOffline[] = [];
    for (;;) {
      const out = (await this.redis.eval(
        SWEEP,
        2,
        ...this.keys(),
        this.prefix,
        String(now),
        String(this.thresholdMs),
        String(SWEEP_BATCH),
      )) as string[];
      for (let i = 1; i < out.length; i += 2) gone.push({ userId: out[i]!, lastSeen: Number(out[i + 1]) });
      if (Number(out[0]) < SWEEP_BATCH) return gone;
    }
  }

  /** The devices the registry holds for a user, fresh or not. */
  async devices(userId: string): Promise<DevicePresence[]> {
    const all = await this.redis.hgetall(`presence:dev:${userId}`);
    return Object.entries(all).map(([deviceId, v]) => {
      const bar = v.lastIndexOf('|');
      return { deviceId, instance: v.slice(0, bar), lastActive: Number(v.slice(bar + 1)) };
    });
  }

  async lastSeen(userId: string): Promise<number | undefined> {
    const v = await this.redis.get(`presence:lastseen:${userId}`);
    return v ? Number(v) : undefined;
  }
}
