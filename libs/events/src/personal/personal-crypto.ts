import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { EventSchemaError } from '../event-errors.js';
import type { SealedValue } from './personal-fields.js';

/** A per-user data key: 32 random bytes for AES-256-GCM. */
export function newPersonalKey(): Uint8Array {
  return randomBytes(32);
}

/**
 * Seals one personal value with its owner's key. The owner is bound as additional data, so a value
 * cannot be moved to another user's field and still open.
 */
export function sealValue(key: Uint8Array, owner: string, plaintext: string): SealedValue {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(owner, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { sealed: 'aes-256-gcm', owner, iv: iv.toString('base64'), data: body.toString('base64') };
}

/** Opens a sealed value; a wrong key or altered bytes is a broken event, not a forgotten one. */
export function openValue(key: Uint8Array, sealed: SealedValue): string {
  const body = Buffer.from(sealed.data, 'base64');
  if (body.length < 16) throw new EventSchemaError('EVENT_SEAL_BROKEN', 'sealed value too short');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(Buffer.from(sealed.owner, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - 16));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    throw new EventSchemaError('EVENT_SEAL_BROKEN', `a value sealed for ${sealed.owner} does not open`);
  }
}
