import { deviceKey, withDeviceBody, type DeviceBodies, type LiveEntry } from '#libs/nats';

/**
 * A pairwise E2E entry as one device gets it: with its own ciphertext, or nothing when the frame has
 * none for it (the sender did not encrypt for that device). Never another device's body.
 */
export function deviceEntry(
  entry: LiveEntry,
  bodies: DeviceBodies,
  userId: string,
  deviceId: string,
): LiveEntry | undefined {
  const body = bodies[deviceKey(userId, deviceId)];
  if (!body || entry.kind !== 'message') return undefined;
  return { kind: 'message', data: withDeviceBody(entry.data, body) };
}
