import { z } from 'zod';

/**
 * A field of an event's data that holds a person's data (a phone number, a message text, a device name),
 * declared once on the event's definition. `path` is a dot path into `data` (absent values are skipped,
 * so `content.text` applies to text messages only); `owner` names the data field holding the user id
 * whose key seals it, so forgetting that user makes the value unreadable in every event at once.
 */
export interface PersonalField {
  readonly path: string;
  readonly owner: string;
  /**
   * A data field that, when present, names the key instead of the owner: a disappearing message's
   * content is sealed with a key destroyed at its expiry (contentKeyFor), not with its sender's.
   */
  readonly keyedBy?: string;
}

/** The name of the key that seals `field` in `data`: its keyedBy value when present, else its owner. */
export function sealingKeyOf(data: unknown, field: PersonalField): string {
  const keyed = field.keyedBy !== undefined ? getPath(data, field.keyedBy) : undefined;
  return String(keyed ?? getPath(data, field.owner));
}

/** What a personal field opens to once its owner's key is destroyed (the event also lists the path). */
export const FORGOTTEN = '[forgotten]';

/**
 * How a personal field is stored from version 2 on. An object, never a string, so a stored value is
 * unambiguously sealed (legacy v1 events and fixtures hold the plaintext string).
 */
export const sealedValue = z.object({
  sealed: z.literal('aes-256-gcm'),
  owner: z.string().min(1).max(64),
  /** base64: 12-byte nonce */
  iv: z.string().min(1).max(32),
  /** base64: ciphertext followed by the 16-byte tag */
  data: z.string().min(1).max(200_000),
});
export type SealedValue = z.infer<typeof sealedValue>;

export function isSealed(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { sealed?: unknown }).sealed !== undefined;
}

export function getPath(data: unknown, path: string): unknown {
  let at: unknown = data;
  for (const key of path.split('.')) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/** Sets an existing value at `path` (the caller read it first); data is the codec's own copy. */
export function setPath(data: unknown, path: string, value: unknown): void {
  const keys = path.split('.');
  const last = keys.pop()!;
  const parent = keys.length === 0 ? data : getPath(data, keys.join('.'));
  (parent as Record<string, unknown>)[last] = value;
}

/**
 * The upcaster of an event type whose v2 started sealing personal fields: v1 stored them in plaintext,
 * and the codec leaves a plaintext string as it is, so the data shape read back is unchanged.
 */
export const plaintextV1: Readonly<Record<number, (data: unknown) => unknown>> = { 1: (data) => data };
