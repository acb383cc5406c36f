import type { CqlClient } from '#libs/cassandra';
import { usersTables, type ReadModelVersions, type UsersTables } from './read-model-versions.js';

export interface DeviceRow {
  readonly userId: string;
  readonly deviceId: string;
  readonly kind: 'primary' | 'linked';
  readonly name: string;
  readonly addedAt: string;
}

/**
 * Users and their devices. Writes carry USING TIMESTAMP <stream sequence> so a redelivered older
 * event can never undo a newer one (a re-applied DeviceAdded after DeviceRemoved stays removed).
 */
export class DeviceStore {
  /**
   * With `versions`, every call uses the tables of the version readers are switched to (chatctl
   * rebuild users); with a fixed number, that version's tables (what a rebuild writes into).
   */
  constructor(
    private readonly cql: CqlClient,
    private readonly versions?: ReadModelVersions | number,
  ) {}

  private async t(): Promise<UsersTables> {
    if (this.versions === undefined) return usersTables(1);
    if (typeof this.versions === 'number') return usersTables(this.versions);
    return usersTables(await this.versions.version('users'));
  }

  /** phone null: the user was forgotten (their UserRegistered opens to the FORGOTTEN marker). */
  async registerUser(userId: string, phone: string | null, at: Date, streamSeq: number): Promise<void> {
    await this.cql.execute(
      `INSERT INTO ${(await this.t()).users} (user_id, phone, registered_at) VALUES (?, ?, ?) USING TIMESTAMP ?`,
      [userId, phone, at, streamSeq],
      { prepare: true },
    );
  }

  async add(d: DeviceRow, streamSeq: number): Promise<void> {
    await this.cql.execute(
      `INSERT INTO ${(await this.t()).devices} (user_id, device_id, kind, name, added_at) VALUES (?, ?, ?, ?, ?) USING TIMESTAMP ?`,
      [d.userId, d.deviceId, d.kind, d.name, new Date(d.addedAt), streamSeq],
      { prepare: true },
    );
  }

  async remove(userId: string, deviceId: string, streamSeq: number): Promise<void> {
    await this.cql.execute(
      `DELETE FROM ${(await this.t()).devices} USING TIMESTAMP ? WHERE user_id = ? AND device_id = ?`,
      [streamSeq, userId, deviceId],
      { prepare: true },
    );
  }

  /**
   * A forgotten user: no phone, no devices. Stamped with the UserForgotten's sequence, so a replayed
   * UserRegistered or DeviceAdded (which come before it) never brings anything back.
   */
  async forgetUser(userId: string, streamSeq: number): Promise<void> {
    const t = await this.t();
    await this.cql.execute(
      `UPDATE ${t.users} USING TIMESTAMP ? SET phone = null WHERE user_id = ?`,
      [streamSeq, userId],
      {
        prepare: true,
      },
    );
    await this.cql.execute(
      `DELETE FROM ${t.devices} USING TIMESTAMP ? WHERE user_id = ?`,
      [streamSeq, userId],
      {
        prepare: true,
      },
    );
  }

  async list(userId: string): Promise<DeviceRow[]> {
    const rs = await this.cql.execute(
      `SELECT device_id, kind, name, added_at FROM ${(await this.t()).devices} WHERE user_id = ?`,
      [userId],
    );
    return rs.rows.map((r) => ({
      userId,
      deviceId: r.get('device_id') as string,
      kind: r.get('kind') as 'primary' | 'linked',
      name: r.get('name') as string,
      addedAt: (r.get('added_at') as Date).toISOString(),
    }));
  }

  async phone(userId: string): Promise<string | undefined> {
    const rs = await this.cql.execute('SELECT phone FROM users WHERE user_id = ?', [userId]);
    return (rs.first()?.get('phone') as string | null) ?? undefined;
  }

  async userExists(userId: string): Promise<boolean> {
    const rs = await this.cql.execute(`SELECT user_id FROM ${(await this.t()).users} WHERE user_id = ?`, [
      userId,
    ]);
    return rs.rowLength > 0;
  }
}
