import type { EventCodec, EventSerializer } from '../codec.js';
import type { EventEnvelope } from '../envelope.js';
import { getPath, sealingKeyOf } from './personal-fields.js';
import { openValue, sealValue } from './personal-crypto.js';

/**
 * Per-user data keys, kept outside the event log (which is immutable): destroying a user's key makes
 * every value sealed for them unreadable, wherever the event bytes were copied.
 */
export interface PersonalKeyStore {
  /** The user's key, created on first use; throws PersonalDataForgottenError once the user was forgotten. */
  keyFor(userId: string): Promise<Uint8Array>;
  /** The user's key, or undefined when it was destroyed (or never created). */
  existingKey(userId: string): Promise<Uint8Array | undefined>;
  /** Drops a cached key: another process destroyed it (the core NATS notice of `chatctl forget`). */
  evict(userId: string): void;
}

/**
 * The one way the apps turn events into bytes and back: personal fields are sealed with their owner's
 * key on write and opened on read (to FORGOTTEN once the key is gone, never an error that parks the
 * event). Keys are fetched first, so the codec itself stays synchronous and free of I/O.
 */
export class PersonalDataVault<E extends EventEnvelope> implements EventSerializer<E> {
  constructor(
    readonly codec: EventCodec<E>,
    private readonly keys: PersonalKeyStore,
  ) {}

  /** Another process forgot this user: stop opening their values now rather than when the cache expires. */
  evict(userId: string): void {
    this.keys.evict(userId);
  }

  async encode(event: E): Promise<Uint8Array> {
    const personal = this.codec.definition(event.type).personal ?? [];
    const owners = new Set<string>();
    for (const field of personal)
      if (getPath(event.data, field.path) !== undefined) owners.add(sealingKeyOf(event.data, field));
    const keys = new Map<string, Uint8Array>();
    for (const owner of owners) keys.set(owner, await this.keys.keyFor(owner));
    return this.codec.encode(event, (owner, plaintext) => sealValue(keys.get(owner)!, owner, plaintext));
  }

  async decode(bytes: Uint8Array): Promise<E> {
    const keys = new Map<string, Uint8Array | undefined>();
    for (const owner of this.codec.sealedOwners(bytes)) keys.set(owner, await this.keys.existingKey(owner));
    return this.codec.decode(bytes, (sealed) => {
      const key = keys.get(sealed.owner);
      return key ? openValue(key, sealed) : undefined;
    });
  }
}
