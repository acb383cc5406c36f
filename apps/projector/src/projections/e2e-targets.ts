import { deviceKey, withDeviceBody, type DeviceBodies, type LiveEntry, type LiveRecipient } from '#libs/nats';
import type { FanOutPayload } from '#libs/projections';

/**
 * A pairwise E2E message goes only to the devices it has a ciphertext for: a device added after the
 * sender encrypted could not read it (the sender learns of the device at its next send, as a mismatch).
 */
export function targetsWithBodies(
  targets: readonly LiveRecipient[],
  bodies: DeviceBodies | undefined,
): LiveRecipient[] {
  if (!bodies) return [...targets];
  return targets
    .map((t) => ({ userId: t.userId, deviceIds: t.deviceIds.filter((d) => bodies[deviceKey(t.userId, d)]) }))
    .filter((t) => t.deviceIds.length > 0);
}

/** The frame's bodies: those of the devices it lists, nothing else. */
export function bodiesOf(targets: readonly LiveRecipient[], bodies: DeviceBodies): DeviceBodies {
  const out: Record<string, DeviceBodies[string]> = {};
  for (const t of targets)
    for (const d of t.deviceIds) {
      const k = deviceKey(t.userId, d);
      out[k] = bodies[k]!;
    }
  return out;
}

/** The entry on the wire, without the per-device bodies (they travel beside it, in `bodies`). */
export function liveEntryOf(payload: FanOutPayload): LiveEntry {
  return payload.kind === 'message' ? { kind: 'message', data: payload.data } : payload;
}

/** One device's inbox row payload: its own ciphertext only. */
export function rowPayloadOf(
  payload: FanOutPayload,
  userId: string,
  deviceId: string,
  shared: string,
): string {
  if (payload.kind !== 'message' || !payload.bodies) return shared;
  return JSON.stringify(withDeviceBody(payload.data, payload.bodies[deviceKey(userId, deviceId)]!));
}
