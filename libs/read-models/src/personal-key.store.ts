import type { CqlClient } from '#libs/cassandra';
import { newPersonalKey, PersonalDataForgottenError, type PersonalKeyStore } from '#libs/events';
import { BoundedMap } from '#libs/platform';

/** A cached answer: the key, or `null` once the user was forgotten. */
interface Cached {
  readonly key: Uint8Array | null;
  readonly until: number;
}

export interface PersonalKeyCacheOptions {
  /** How long a process trusts a cached key; bounds how long a destroyed key keeps opening values. */
  readonly ttlMs: number;
  readonly maxEntries: number;
}

const DEFAULT_CACHE: PersonalKeyCacheOptions = { ttlMs: 10_000, maxEntries: 10_000 };

/**
 * Per-user data keys in Cassandra (`personal_keys`), with a small in-process cache. A key is created
 * with a lightweight transaction, so two processes sealing for a new user at once agree on one key; a
 * forgotten user keeps a row without a key, so no key is ever created for them again. Other processes
 * drop a forgotten user's cached key on the core NATS notice (`evict`), and within `ttlMs` in any case.
 */
export class CassandraPersonalKeyStore implements PersonalKeyStore {
  private readonly cache: BoundedMap<string, Cached>;

  constructor(
    private readonly cql: CqlClient,
    private readonly options: PersonalKeyCacheOptions = DEFAULT_CACHE,
    private readonly now: () => number = Date.now,
  ) {
    this.cache = new BoundedMap(options.maxEntries);
  }

  async keyFor(userId: string): Promise<Uint8Array> {
    const known = await this.lookup(userId);
    if (known === null) throw new PersonalDataForgottenError(userId);
    if (known) return known;
    const fresh = newPersonalKey();
    const rs = await this.cql.execute(
      'INSERT INTO personal_keys (user_id, key, created_at) VALUES (?, ?, ?) IF NOT EXISTS',
      [userId, Buffer.from(fresh), new Date(this.now())],
      { prepare: true },
    );
    const row = rs.first();
    // Not applied: another process created the key first, or the user was forgotten; the row says which.
    const key =
      row.get('[applied]') === true
        ? fresh
        : row.get('forgotten_at') instanceof Date
          ? null
          : this.keyOf(row.get('key'));
    this.remember(userId, key);
    if (!key) throw new PersonalDataForgottenError(userId);
    return key;
  }

  async existingKey(userId: string): Promise<Uint8Array | undefined> {
    return (await this.lookup(userId)) ?? undefined;
  }

  /**
   * Destroys the user's key (keeping the row, so none is made again). Returns false when it was
   * already destroyed: forgetting twice is harmless.
   */
  async destroy(userId: string, requestedBy: string, at: Date): Promise<boolean> {
    const rs = await this.cql.execute(
      'UPDATE personal_keys SET key = null, forgotten_at = ?, forgotten_by = ? WHERE user_id = ? IF forgotten_at = null',
      [at, requestedBy, userId],
      { prepare: true },
    );
    this.evict(userId);
    return rs.first().get('[applied]') === true;
  }

  /** When and by whom the user's key was destroyed, if it was. */
  async forgottenAt(userId: string): Promise<{ at: Date; by: string } | undefined> {
    const rs = await this.cql.execute(
      'SELECT forgotten_at, forgotten_by FROM personal_keys WHERE user_id = ?',
      [userId],
      { prepare: true },
    );
    const row = rs.first();
    const at: unknown = row?.get('forgotten_at');
    return at instanceof Date ? { at, by: String(row.get('forgotten_by')) } : undefined;
  }

  evict(userId: string): void {
    this.cache.delete(userId);
  }

  /** The key, null when forgotten, undefined when none was created yet (not cached: it may appear). */
  private async lookup(userId: string): Promise<Uint8Array | null | undefined> {
    const hit = this.cache.get(userId);
    if (hit && hit.until > this.now()) return hit.key;
    const key = await this.read(userId);
    if (key !== undefined) this.remember(userId, key);
    return key;
  }

  private async read(userId: string): Promise<Uint8Array | null | undefined> {
    const rs = await this.cql.execute(
      'SELECT key, forgotten_at FROM personal_keys WHERE user_id = ?',
      [userId],
      { prepare: true },
    );
    const row = rs.first();
    if (!row) return undefined;
    if (row.get('forgotten_at') instanceof Date) return null;
    return this.keyOf(row.get('key')) ?? undefined;
  }

  private keyOf(value: unknown): Uint8Array | null {
    return Buffer.isBuffer(value) && value.length === 32 ? new Uint8Array(value) : null;
  }

  private remember(userId: string, key: Uint8Array | null): void {
    this.cache.set(userId, { key, until: this.now() + this.options.ttlMs });
  }
}
