import { randomInt } from 'node:crypto';
import type { CqlClient } from '#libs/cassandra';

export type OneTimeKeyKind = 'ec' | 'kyber';

/** A public prekey as published: its id, its bytes and (signed prekeys, Kyber keys) its signature. */
export interface PublishedPreKey {
  readonly keyId: number;
  readonly publicKey: Uint8Array;
  readonly signature?: Uint8Array;
}

/** What a device published, as the directory holds it (no one-time keys: they are claimed one by one). */
export interface DeviceKeysRow {
  readonly userId: string;
  readonly deviceId: string;
  readonly registrationId: number;
  readonly identityKey: Uint8Array;
  readonly signedPreKey: Required<PublishedPreKey>;
  readonly kyberLastResort: Required<PublishedPreKey>;
  readonly updatedAt: Date;
}

/** Candidates read per round of a claim; claimers pick among them at random to spread out. */
const CLAIM_CANDIDATES = 32;
/** Rounds of candidates before a claim gives up (each round drops the ids others claimed). */
const CLAIM_ROUNDS = 8;

const bytes = (v: unknown): Uint8Array => new Uint8Array(v as Buffer);

/**
 * The E2E key directory in Cassandra (migration 017): per device its identity key (the account's, whose
 * changes the USERS log records), registration id, signed prekey and last-resort Kyber prekey, and one-time prekeys (EC and Kyber).
 *
 * A one-time prekey goes to exactly one claimer: each key is its own partition and a claim is a
 * lightweight transaction deleting it `IF public_key = <what the claimer read>`, which Paxos grants to
 * one claimer only; the loser tries another candidate. Keeping each key in its own partition means
 * concurrent claims of one device's keys contend per key rather than on one Paxos partition. The ids
 * left are listed in `e2e_one_time_prekey_ids` (plain writes; a stale id is dropped by whoever finds its
 * key gone), which gives both the candidates and the count.
 */
export class E2eKeyStore {
  constructor(private readonly cql: CqlClient) {}

  async putDevice(row: DeviceKeysRow): Promise<void> {
    await this.cql.execute(
      `INSERT INTO e2e_device_keys (user_id, device_id, registration_id, identity_key, signed_prekey_id, signed_prekey,
         signed_prekey_signature, kyber_prekey_id, kyber_prekey, kyber_prekey_signature, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        row.userId,
        row.deviceId,
        row.registrationId,
        Buffer.from(row.identityKey),
        row.signedPreKey.keyId,
        Buffer.from(row.signedPreKey.publicKey),
        Buffer.from(row.signedPreKey.signature),
        row.kyberLastResort.keyId,
        Buffer.from(row.kyberLastResort.publicKey),
        Buffer.from(row.kyberLastResort.signature),
        row.updatedAt,
      ],
      { prepare: true },
    );
  }

  /** Rotates the device's signed prekey (`signed`) or its last-resort Kyber prekey (`kyber`). */
  async rotatePreKey(
    which: 'signed' | 'kyber',
    userId: string,
    deviceId: string,
    key: Required<PublishedPreKey>,
    at: Date,
  ): Promise<void> {
    const column = which === 'signed' ? 'signed_prekey' : 'kyber_prekey';
    await this.cql.execute(
      `UPDATE e2e_device_keys SET ${column}_id = ?, ${column} = ?, ${column}_signature = ?, updated_at = ?
       WHERE user_id = ? AND device_id = ?`,
      [key.keyId, Buffer.from(key.publicKey), Buffer.from(key.signature), at, userId, deviceId],
      { prepare: true },
    );
  }

  /** Every device of the user that published keys. */
  async devices(userId: string): Promise<DeviceKeysRow[]> {
    const rs = await this.cql.execute('SELECT * FROM e2e_device_keys WHERE user_id = ?', [userId], {
      prepare: true,
    });
    return rs.rows
      .filter((r) => r.get('registration_id') !== null && r.get('identity_key') !== null)
      .map((r) => ({
        userId,
        deviceId: r.get('device_id') as string,
        registrationId: r.get('registration_id') as number,
        identityKey: bytes(r.get('identity_key')),
        signedPreKey: {
          keyId: r.get('signed_prekey_id') as number,
          publicKey: bytes(r.get('signed_prekey')),
          signature: bytes(r.get('signed_prekey_signature')),
        },
        kyberLastResort: {
          keyId: r.get('kyber_prekey_id') as number,
          publicKey: bytes(r.get('kyber_prekey')),
          signature: bytes(r.get('kyber_prekey_signature')),
        },
        updatedAt: r.get('updated_at') as Date,
      }));
  }

  /** A removed device's keys: nothing of it is handed out again. */
  async removeDevice(userId: string, deviceId: string): Promise<void> {
    await this.cql.execute(
      'DELETE FROM e2e_device_keys WHERE user_id = ? AND device_id = ?',
      [userId, deviceId],
      {
        prepare: true,
      },
    );
    for (const kind of ['ec', 'kyber'] as const) {
      const ids = await this.ids(userId, deviceId, kind, 10_000);
      await Promise.all(ids.map((id) => this.dropKey(userId, deviceId, kind, id)));
    }
  }

  /** Adds one-time prekeys (a key id already there is replaced: uploads are idempotent per id). */
  async addOneTimeKeys(
    userId: string,
    deviceId: string,
    kind: OneTimeKeyKind,
    keys: readonly PublishedPreKey[],
  ): Promise<void> {
    // Key first, then its id: a listed id always has its key unless someone claimed it.
    await Promise.all(
      keys.map(async (k) => {
        await this.cql.execute(
          'INSERT INTO e2e_one_time_prekeys (user_id, device_id, kind, key_id, public_key, signature) VALUES (?, ?, ?, ?, ?, ?)',
          [
            userId,
            deviceId,
            kind,
            k.keyId,
            Buffer.from(k.publicKey),
            k.signature ? Buffer.from(k.signature) : null,
          ],
          { prepare: true },
        );
        await this.cql.execute(
          'INSERT INTO e2e_one_time_prekey_ids (user_id, device_id, kind, key_id) VALUES (?, ?, ?, ?)',
          [userId, deviceId, kind, k.keyId],
          { prepare: true },
        );
      }),
    );
  }

  /** How many one-time keys of a kind the device has left (a count of a bounded partition). */
  async count(userId: string, deviceId: string, kind: OneTimeKeyKind): Promise<number> {
    const rs = await this.cql.execute(
      'SELECT COUNT(*) AS n FROM e2e_one_time_prekey_ids WHERE user_id = ? AND device_id = ? AND kind = ?',
      [userId, deviceId, kind],
      { prepare: true },
    );
    return Number(rs.first()?.get('n') ?? 0);
  }

  private async ids(
    userId: string,
    deviceId: string,
    kind: OneTimeKeyKind,
    limit: number,
  ): Promise<number[]> {
    const rs = await this.cql.execute(
      'SELECT key_id FROM e2e_one_time_prekey_ids WHERE user_id = ? AND device_id = ? AND kind = ? LIMIT ?',
      [userId, deviceId, kind, limit],
      { prepare: true },
    );
    return rs.rows.map((r) => r.get('key_id') as number);
  }

  private async dropKey(
    userId: string,
    deviceId: string,
    kind: OneTimeKeyKind,
    keyId: number,
  ): Promise<void> {
    await Promise.all([
      this.cql.execute(
        'DELETE FROM e2e_one_time_prekeys WHERE user_id = ? AND device_id = ? AND kind = ? AND key_id = ?',
        [userId, deviceId, kind, keyId],
        { prepare: true },
      ),
      this.dropId(userId, deviceId, kind, keyId),
    ]);
  }

  private async dropId(userId: string, deviceId: string, kind: OneTimeKeyKind, keyId: number): Promise<void> {
    await this.cql.execute(
      'DELETE FROM e2e_one_time_prekey_ids WHERE user_id = ? AND device_id = ? AND kind = ? AND key_id = ?',
      [userId, deviceId, kind, keyId],
      { prepare: true },
    );
  }

  /**
   * Takes one one-time prekey of the device for one claimer, or undefined when none is left. Exactly one
   * claimer wins a key: the conditional delete is decided by Paxos on the key's own partition.
   */
  async claim(userId: string, deviceId: string, kind: OneTimeKeyKind): Promise<PublishedPreKey | undefined> {
    for (let round = 0; round < CLAIM_ROUNDS; round++) {
      const candidates = await this.ids(userId, deviceId, kind, CLAIM_CANDIDATES);
      if (candidates.length === 0) return undefined;
      // Concurrent claimers start at different places among the candidates instead of all on the first.
      const start = randomInt(candidates.length);
      for (let i = 0; i < candidates.length; i++) {
        const keyId = candidates[(start + i) % candidates.length]!;
        const won = await this.take(userId, deviceId, kind, keyId);
        if (won) return won;
      }
    }
    return undefined;
  }

  private async take(
    userId: string,
    deviceId: string,
    kind: OneTimeKeyKind,
    keyId: number,
  ): Promise<PublishedPreKey | undefined> {
    const rs = await this.cql.execute(
      'SELECT public_key, signature FROM e2e_one_time_prekeys WHERE user_id = ? AND device_id = ? AND kind = ? AND key_id = ?',
      [userId, deviceId, kind, keyId],
      { prepare: true },
    );
    const row = rs.first();
    if (!row) {
      await this.dropId(userId, deviceId, kind, keyId); // claimed by someone else
      return undefined;
    }
    const publicKey = row.get('public_key') as Buffer;
    const signature = row.get('signature') as Buffer | null;
    const lwt = await this.cql.execute(
      'DELETE FROM e2e_one_time_prekeys WHERE user_id = ? AND device_id = ? AND kind = ? AND key_id = ? IF public_key = ?',
      [userId, deviceId, kind, keyId, publicKey],
      { prepare: true },
    );
    if (lwt.first()?.get('[applied]') !== true) return undefined;
    await this.dropId(userId, deviceId, kind, keyId);
    return { keyId, publicKey: bytes(publicKey), ...(signature ? { signature: bytes(signature) } : {}) };
  }
}
