import { ttlOrNone, type CqlClient } from '#libs/cassandra';
import type { HistoryMessage } from '#libs/protocol';
import type { DeviceStore, LogPosition } from '#libs/read-models';

/**
 * Takes a deleted message's content out of the inbox entries not delivered yet (issue 19). An entry is
 * keyed by the position of the message's MessageSent, one row per device; only rows still there are
 * rewritten (`IF EXISTS`), so a device that acknowledged the message gets no entry back. Delivery
 * state, not a read model: only the projection that delivers has one, a rebuild none.
 */
export class InboxRedaction {
  constructor(
    private readonly cql: CqlClient,
    private readonly devices: DeviceStore,
  ) {}

  async redact(
    members: readonly string[],
    position: LogPosition,
    message: HistoryMessage,
    ttlSeconds?: number,
  ): Promise<void> {
    const payload = JSON.stringify(message);
    const ttl = ttlOrNone(ttlSeconds);
    await Promise.all(
      members.map(async (userId) => {
        for (const device of await this.devices.list(userId))
          await this.cql.execute(
            'UPDATE inbox_by_device USING TTL ? SET payload = ? WHERE user_id = ? AND device_id = ? AND partition = ? AND stream_seq = ? IF EXISTS',
            [ttl, payload, userId, device.deviceId, position.partition, position.seq],
          );
      }),
    );
  }

  /** A disappearing message expired: its entries not delivered yet go, so it is never delivered. */
  async remove(members: readonly string[], position: LogPosition): Promise<void> {
    await Promise.all(
      members.map(async (userId) => {
        for (const device of await this.devices.list(userId))
          await this.cql.execute(
            'DELETE FROM inbox_by_device WHERE user_id = ? AND device_id = ? AND partition = ? AND stream_seq = ?',
            [userId, device.deviceId, position.partition, position.seq],
          );
      }),
    );
  }
}
