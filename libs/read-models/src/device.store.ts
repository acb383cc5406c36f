import type { CqlClient } from '#libs/cassandra';

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
  constructor(private readonly cql: CqlClient) {}

  async registerUser(userId: string, phone: string, at: Date, streamSeq: number): Promise<void> {
    await this.cql.execute(
      `INSERT INTO users (user_id, phone, registered_at) VALUES (?, ?, ?) USING TIMESTAMP ${streamSeq}`,
      [userId, phone, at],
    );
  }

  async add(d: DeviceRow, streamSeq: number): Promise<void> {
    await this.cql.execute(
      `INSERT INTO devices_by_user (user_id, device_id, kind, name, added_at) VALUES (?, ?, ?, ?, ?) USING TIMESTAMP ${streamSeq}`,
      [d.userId, d.deviceId, d.kind, d.name, new Date(d.addedAt)],
    );
  }

  async remove(userId: string, deviceId: string, streamSeq: number): Promise<void> {
    await this.cql.execute(
      `DELETE FROM devices_by_user USING TIMESTAMP ${streamSeq} WHERE user_id = ? AND device_id = ?`,
      [userId, deviceId],
    );
  }

  async list(userId: string): Promise<DeviceRow[]> {
    const rs = await this.cql.execute(
      'SELECT device_id, kind, name, added_at FROM devices_by_user WHERE user_id = ?',
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
    return (await this.cql.execute('SELECT user_id FROM users WHERE user_id = ?', [userId])).rowLength > 0;
  }
}
