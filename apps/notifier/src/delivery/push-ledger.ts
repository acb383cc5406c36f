import type { Redis } from 'ioredis';

/** Keeps the larger of two snowflake ids (decimal strings): longer is larger, else compare as text. */
const MAX_ID_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
local new = ARGV[1]
if (not cur) or (#new > #cur) or (#new == #cur and new > cur) then
  redis.call('SET', KEYS[1], new, 'PX', ARGV[2])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return redis.call('INCR', KEYS[2]) + 0 * redis.call('PEXPIRE', KEYS[2], ARGV[2])
`;

/**
 * What the notifier remembers in Redis, shared by its instances:
 * - a claim per (device, message): "pending" while a push is being sent (a lease, so a notifier killed
 *   mid-send lets the redelivered message retry), then "done" for days: never two pushes for one message;
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
    const n = await this.redis.getdel(`push:count:${deviceId}:${conversationId}`);
    return Math.max(1, Number(n ?? 1));
  }

  /** Takes the right to push this message to this device; false if it was pushed or is being pushed. */
  async claim(deviceId: string, messageId: string): Promise<boolean> {
    const ok = await this.redis.set(
      this.claimKey(deviceId, messageId),
      'pending',
      'PX',
      this.o.leaseMs,
      'NX',
    );
    return ok === 'OK';
  }

  async done(deviceId: string, messageId: string): Promise<void> {
    await this.redis.set(this.claimKey(deviceId, messageId), 'done', 'EX', this.o.doneTtlSeconds);
  }
}
