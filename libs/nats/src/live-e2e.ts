import type { InboxMessage } from '#libs/protocol';

/**
 * Per-device ciphertexts of a pairwise E2E message on the live path (issue 17). The frame carries every
 * recipient device's body keyed by `userId/deviceId`; the gateway gives each socket only its own device's
 * (a device with no body gets nothing), and each inbox row holds only its device's body, so no device is
 * ever sent another device's envelope.
 */
export interface DeviceBody {
  readonly type: number;
  readonly body: string;
}

export type DeviceBodies = Readonly<Record<string, DeviceBody>>;

export const deviceKey = (userId: string, deviceId: string): string => `${userId}/${deviceId}`;

export function isDeviceBodies(v: unknown): v is DeviceBodies {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  return Object.values(v as Record<string, unknown>).every((b) => {
    if (typeof b !== 'object' || b === null) return false;
    const o = b as Record<string, unknown>;
    return Number.isSafeInteger(o.type) && typeof o.body === 'string';
  });
}

/** The message as one device receives it: the E2E marker completed with that device's ciphertext. */
export function withDeviceBody<M extends Omit<InboxMessage, 'entryId'>>(message: M, body: DeviceBody): M {
  return { ...message, e2e: { ...(message.e2e ?? { kind: 'envelope' }), type: body.type, body: body.body } };
}
