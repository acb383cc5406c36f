import type { Redis } from 'ioredis';

/**
 * Keeps the larger of two snowflake ids (decimal strings: longer is larger, else compare as text) and adds
 * the id to the window's set, so a redelivered message is not counted twice.
 */
const MAX_ID_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
local new = ARGV[1]
if (not cur) or (#new > #cur) or (#new == #cur and new > cur) then
  redis.call('SET', KEYS[1], new, 'PX', ARGV[2])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
redis.call('SADD', KEYS[2], new)
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1
`;

/**
 * What the notifier remembers in Redis, shared by its instances:
 * - a claim per (device, message): "pending" while the push waits for a provider slot (a lease, so a
 *   notifier killed before sending lets the redelivered message push), "sending" from the moment the
 *   request leaves, then "done", both kept for days. A push whose request was in flight when its notifier
 *   died is not sent again: the provider may have it, and a second notification is worse than none.
 * - per (device, conversation) within the collapse window: the newest message seen and how many came.
 */
export class PushLedger {
  constructor(
    private readonly redis: Redis,
    private readonly o: { leaseMs: number; doneTtlSeconds: number; collapseWindowMs: number },
  ) {}

  private claimKey(deviceId: string, messageId: string): string {
    return `push:claim:${deviceId}:${messageId}`;
  }

  /** Notes a message for a device when it arrives; the window restarts with each message. */
  async seen(deviceId: string, conversationId: string, messageId: string): Promise<void> {
    if (this.o.collapseWindowMs <= 0) return;
    await this.redis.eval(
      MAX_ID_SCRIPT,
      2,
      `push:latest:${deviceId}:${conversationId}`,
      `push:count:${deviceId}:${conversationId}`,
      messageId,
      String(this.o.collapseWindowMs),
    );
  }

  /** True when a newer message of the conversation will push for this device and carry this one's count. */
  async superseded(deviceId: string, conversationId: string, messageId: string): Promise<boolean> {
    if (this.o.collapseWindowMs <= 0) return false;
    const latest = await this.redis.get(`push:latest:${deviceId}:${conversationId}`);
    return latest !== null && latest !== messageId;
  }

  /** How many messages this push stands for; the count restarts after it. */
  async takeCount(deviceId: string, conversationId: string): Promise<number> {
    if (this.o.collapseWindowMs <= 0) return 1;
    const key = `push:count:${deviceId}:${conversationId}`;
    const result = await this.redis.multi().scard(key).del(key).exec();
    return Math.max(1, Number(result?.[0]?.[1] ?? 1));
  }

  /**
   * Takes the right to push this message to this device: `claimed`; `held` while another attempt's lease
   * runs (it may still push, or may have died: try again later); `taken` once sent or being sent.
   */
  async claim(deviceId: string, messageId: string): Promise<'claimed' | 'held' | 'taken'> {
    const key = this.claimKey(deviceId, messageId);
    const ok = await this.redis.set(key, 'pending', 'PX', this.o.leaseMs, 'NX');
    if (ok === 'OK') return 'claimed';
    const state = await this.redis.get(key);
    if (state === null) return this.claim(deviceId, messageId); // expired in between
    return state === 'pending' ? 'held' : 'taken';
  }

  /** Keeps a claim this attempt holds from lapsing while it waits (only while still pending). */
  async extend(deviceId: string, messageId: string): Promise<void> {
    await this.redis.eval(
      "if redis.call('GET', KEYS[1]) == 'pending' then return redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return 0",
      1,
      this.claimKey(deviceId, messageId),
      String(this.o.leaseMs),
    );
  }

  /** The request is about to leave: from now on this (device, message) is never pushed again. */
  async sending(deviceId: string, messageId: string): Promise<void> {
    await this.redis.set(this.claimKey(deviceId, messageId), 'sending', 'EX', this.o.doneTtlSeconds);
  }

  async done(deviceId: string, messageId: string): Promise<void> {
    await this.redis.set(this.claimKey(deviceId, messageId), 'done', 'EX', this.o.doneTtlSeconds);
  }
}
