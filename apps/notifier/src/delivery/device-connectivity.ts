import type { Redis } from 'ioredis';

/** Whether a device holds a live socket on some gateway right now. */
export interface DeviceConnectivity {
  isConnected(userId: string, deviceId: string): Promise<boolean>;
}

/**
 * Reads the presence connection registry: a hash per user `presence:dev:<userId>` (under the app's key
 * prefix), field = deviceId, value = "<gateway instance>|<last active ms>". A device is connected while its
 * field exists and its last activity is within the online threshold. Only a hint: the decisive check is
 * whether the device still has the message in its inbox after the grace period.
 */
export class RedisDeviceConnectivity implements DeviceConnectivity {
  constructor(
    private readonly redis: Redis,
    private readonly thresholdMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async isConnected(userId: string, deviceId: string): Promise<boolean> {
    const value = await this.redis.hget(`presence:dev:${userId}`, deviceId);
    if (!value) return false;
    const lastActive = Number(value.slice(value.lastIndexOf('|') + 1));
    return Number.isFinite(lastActive) && this.now() - lastActive <= this.thresholdMs;
  }
}
