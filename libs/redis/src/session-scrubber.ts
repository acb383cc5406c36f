import type { Redis } from 'ioredis';
import { userRedisKeys } from './user-keys.js';

/**
 * Ends a forgotten user's sessions and presence in Redis: every token refused from now on (the gateway
 * checks the flag on each request and at connect), refresh tokens deleted, connection registry, online
 * flag and last seen removed. Returns how many refresh tokens were deleted.
 */
export async function scrubSessions(
  redis: Redis,
  userId: string,
  deviceIds: readonly string[],
  phone: string | undefined,
): Promise<number> {
  await redis.set(userRedisKeys.forgotten(userId), new Date().toISOString());
  let tokens = 0;
  for (const deviceId of deviceIds) {
    const setKey = userRedisKeys.refreshTokensOfDevice(userId, deviceId);
    const hashes = await redis.smembers(setKey);
    if (hashes.length > 0) tokens += await redis.del(...hashes.map((h) => userRedisKeys.refreshToken(h)));
    await redis.del(setKey);
    await redis.zrem(userRedisKeys.presenceDeadlines, `${userId}/${deviceId}`);
  }
  await redis.del(userRedisKeys.presenceDevices(userId), userRedisKeys.presenceLastSeen(userId));
  await redis.srem(userRedisKeys.presenceOnline, userId);
  // The verification-code keys of the gateway are named by phone number (rate limit, code, attempts).
  if (phone) await redis.del(`vcsend:${phone}`, `vc:${phone}`, `vcatt:${phone}`);
  return tokens;
}
