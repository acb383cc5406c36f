/**
 * Redis keys that name one user and that more than one process reads or writes: the gateway (tokens,
 * presence) and `chatctl forget`, which deletes or sets them for a forgotten user.
 */
export const userRedisKeys = {
  /** Set (no expiry) once the user was forgotten: every token of theirs is refused. */
  forgotten: (userId: string): string => `forgotten:${userId}`,
  /** The refresh-token hashes of one device (each `rt:<hash>` holds the device identity). */
  refreshTokensOfDevice: (userId: string, deviceId: string): string => `rtdev:${userId}:${deviceId}`,
  refreshToken: (hash: string): string => `rt:${hash}`,
  /** Presence: the connection registry and last seen of the user (see PresenceRegistry). */
  presenceDevices: (userId: string): string => `presence:dev:${userId}`,
  presenceLastSeen: (userId: string): string => `presence:lastseen:${userId}`,
  presenceOnline: 'presence:online',
  presenceDeadlines: 'presence:deadlines',
} as const;
