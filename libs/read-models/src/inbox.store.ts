import type { CqlClient } from '#libs/cassandra';
import type { LogPosition } from './entry-id.js';

export type InboxEntryKind = 'message' | 'receipt';

export interface InboxEntry extends LogPosition {
  readonly userId: string;
  readonly deviceId: string;
  readonly kind: InboxEntryKind;
  readonly conversationId: string;
  /** The frame data without its entryId, as JSON. */
  readonly payload: string;
}

/** Per-device inboxes and their cursors (tables inbox_by_device, device_cursors). */
export class InboxStore {
  constructor(private readonly cql: CqlClient) {}

  async add(entries: readonly InboxEntry[], ttlSeconds?: number): Promise<void> {
    const ttl = ttlSeconds ? ` USING TTL ${Math.floor(ttlSeconds)}` : '';
    await Promise.all(
      entries.map((e) =>
        this.cql.execute(
          `INSERT INTO inbox_by_device (user_id, device_id, partition, stream_seq, kind, conversation_id, payload) VALUES (?, ?, ?, ?, ?, ?, ?)${ttl}`,
          [e.userId, e.deviceId, e.partition, e.seq, e.kind, e.conversationId, e.payload],
        ),
      ),
    );
  }

  /** Pending entries of one partition after a sequence, oldest first, a page at a time. */
  async pending(
    userId: string,
    deviceId: string,
    partition: number,
    afterSeq: number,
    limit: number,
  ): Promise<InboxEntry[]> {
    const rs = await this.cql.execute(
      'SELECT stream_seq, kind, conversation_id, payload FROM inbox_by_device WHERE user_id = ? AND device_id = ? AND partition = ? AND stream_seq > ? LIMIT ?',
      [userId, deviceId, partition, afterSeq, limit],
    );
    return rs.rows.map((r) => ({
      userId,
      deviceId,
      partition,
      seq: Number(r.get('stream_seq')),
      kind: r.get('kind') as InboxEntryKind,
      conversationId: r.get('conversation_id') as string,
      payload: r.get('payload') as string,
    }));
  }

  async find(userId: string, deviceId: string, pos: LogPosition): Promise<InboxEntry | undefined> {
    const page = await this.pending(userId, deviceId, pos.partition, pos.seq - 1, 1);
    return page[0]?.seq === pos.seq ? page[0] : undefined;
  }

  async remove(userId: string, deviceId: string, positions: readonly LogPosition[]): Promise<void> {
    await Promise.all(
      positions.map((p) =>
        this.cql.execute(
          'DELETE FROM inbox_by_device WHERE user_id = ? AND device_id = ? AND partition = ? AND stream_seq = ?',
          [userId, deviceId, p.partition, p.seq],
        ),
      ),
    );
  }

  /** Drops a removed device's whole inbox and cursor. */
  async dropDevice(userId: string, deviceId: string, partitions: number): Promise<void> {
    await Promise.all(
      Array.from({ length: partitions }, (_, p) =>
        this.cql.execute(
          'DELETE FROM inbox_by_device WHERE user_id = ? AND device_id = ? AND partition = ?',
          [userId, deviceId, p],
        ),
      ),
    );
    await this.cql.execute('DELETE FROM device_cursors WHERE user_id = ? AND device_id = ?', [
      userId,
      deviceId,
    ]);
  }

  async cursor(userId: string, deviceId: string): Promise<Map<number, number>> {
    const rs = await this.cql.execute(
      'SELECT partition, acked_seq FROM device_cursors WHERE user_id = ? AND device_id = ?',
      [userId, deviceId],
    );
    return new Map(rs.rows.map((r) => [r.get('partition') as number, Number(r.get('acked_seq'))]));
  }

  async saveCursor(userId: string, deviceId: string, cursor: ReadonlyMap<number, number>): Promise<void> {
    await Promise.all(
      [...cursor.entries()].map(([p, seq]) =>
        // USING TIMESTAMP seq: a slower, older ack can never move the cursor back.
        this.cql.execute(
          `UPDATE device_cursors USING TIMESTAMP ${Math.floor(seq)} SET acked_seq = ? WHERE user_id = ? AND device_id = ? AND partition = ?`,
          [seq, userId, deviceId, p],
        ),
      ),
    );
  }
}
