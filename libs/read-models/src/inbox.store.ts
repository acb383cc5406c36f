import type { types as cqlTypes } from 'cassandra-driver';
import { ttlOrNone, type CqlClient } from '#libs/cassandra';
import type { LogPosition } from './entry-id.js';

export type InboxEntryKind = 'message' | 'receipt' | 'update';

/** Positions per IN list: one statement per partition and chunk, never one per entry. */
const IN_CHUNK = 100;

function chunksByPartition(positions: readonly LogPosition[]): Array<{ partition: number; seqs: number[] }> {
  const byPartition = new Map<number, number[]>();
  for (const p of positions) {
    const seqs = byPartition.get(p.partition);
    if (seqs) seqs.push(p.seq);
    else byPartition.set(p.partition, [p.seq]);
  }
  const out: Array<{ partition: number; seqs: number[] }> = [];
  for (const [partition, seqs] of byPartition)
    for (let i = 0; i < seqs.length; i += IN_CHUNK)
      out.push({ partition, seqs: seqs.slice(i, i + IN_CHUNK) });
  return out;
}

export interface InboxEntry extends LogPosition {
  readonly userId: string;
  readonly deviceId: string;
  readonly kind: InboxEntryKind;
  readonly conversationId: string;
  /** The frame data without its entryId, as JSON. */
  readonly payload: string;
}

/**
 * Per-device inboxes and their cursors (tables inbox_by_device, device_cursors). A row is a pending
 * entry: it is deleted when its device acknowledges it (or expires with the retention window), so the
 * inbox itself is the set of entries a device has not acknowledged. The cursor (column floor_seq) is a
 * floor per partition below which the device has no pending entry (docs/protocol.md).
 */
/** An inbox row (stream_seq, kind, conversation_id, payload) of one device and partition. */
function entryOf(userId: string, deviceId: string, partition: number, r: cqlTypes.Row): InboxEntry {
  return {
    userId,
    deviceId,
    partition,
    seq: Number(r.get('stream_seq')),
    kind: r.get('kind') as InboxEntryKind,
    conversationId: r.get('conversation_id') as string,
    payload: r.get('payload') as string,
  };
}

export class InboxStore {
  constructor(private readonly cql: CqlClient) {}

  async add(entries: readonly InboxEntry[], ttlSeconds?: number): Promise<void> {
    const ttl = ttlOrNone(ttlSeconds);
    await Promise.all(
      entries.map((e) =>
        this.cql.execute(
          'INSERT INTO inbox_by_device (user_id, device_id, partition, stream_seq, kind, conversation_id, payload) VALUES (?, ?, ?, ?, ?, ?, ?) USING TTL ?',
          [e.userId, e.deviceId, e.partition, e.seq, e.kind, e.conversationId, e.payload, ttl],
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
    return rs.rows.map((r) => entryOf(userId, deviceId, partition, r));
  }

  async find(userId: string, deviceId: string, pos: LogPosition): Promise<InboxEntry | undefined> {
    const page = await this.pending(userId, deviceId, pos.partition, pos.seq - 1, 1);
    return page[0]?.seq === pos.seq ? page[0] : undefined;
  }

  /** The pending entries among `positions`: one statement per partition and 100 positions. */
  async findMany(userId: string, deviceId: string, positions: readonly LogPosition[]): Promise<InboxEntry[]> {
    const pages = await Promise.all(
      chunksByPartition(positions).map(async ({ partition, seqs }) => {
        const rs = await this.cql.execute(
          'SELECT stream_seq, kind, conversation_id, payload FROM inbox_by_device WHERE user_id = ? AND device_id = ? AND partition = ? AND stream_seq IN ?',
          [userId, deviceId, partition, seqs],
        );
        return rs.rows.map((r) => entryOf(userId, deviceId, partition, r));
      }),
    );
    return pages.flat();
  }

  /** The lowest pending sequence of a partition above `afterSeq`, if any (the floor's upper bound). */
  async firstPending(
    userId: string,
    deviceId: string,
    partition: number,
    afterSeq: number,
  ): Promise<number | undefined> {
    const row = (
      await this.cql.execute(
        'SELECT stream_seq FROM inbox_by_device WHERE user_id = ? AND device_id = ? AND partition = ? AND stream_seq > ? LIMIT 1',
        [userId, deviceId, partition, afterSeq],
      )
    ).first();
    return row ? Number(row.get('stream_seq')) : undefined;
  }

  /** Deletes acknowledged entries: one statement per partition and 100 positions. */
  async remove(userId: string, deviceId: string, positions: readonly LogPosition[]): Promise<void> {
    await Promise.all(
      chunksByPartition(positions).map(({ partition, seqs }) =>
        this.cql.execute(
          'DELETE FROM inbox_by_device WHERE user_id = ? AND device_id = ? AND partition = ? AND stream_seq IN ?',
          [userId, deviceId, partition, seqs],
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

  /** The device's floor per partition (column floor_seq; acked_seq held the old meaning, not a floor). */
  async cursor(userId: string, deviceId: string): Promise<Map<number, number>> {
    const rs = await this.cql.execute(
      'SELECT partition, floor_seq FROM device_cursors WHERE user_id = ? AND device_id = ?',
      [userId, deviceId],
    );
    return new Map(
      rs.rows
        .filter((r) => r.get('floor_seq') !== null)
        .map((r) => [r.get('partition') as number, Number(r.get('floor_seq'))]),
    );
  }

  /** Saves floors; each partition's only ever rises (a slower, older ack cannot lower it). */
  async saveCursor(userId: string, deviceId: string, cursor: ReadonlyMap<number, number>): Promise<void> {
    await Promise.all(
      [...cursor.entries()].map(([p, seq]) =>
        // USING TIMESTAMP seq: a slower, older ack can never move the cursor back.
        this.cql.execute(
          'UPDATE device_cursors USING TIMESTAMP ? SET floor_seq = ? WHERE user_id = ? AND device_id = ? AND partition = ?',
          [Math.floor(seq), seq, userId, deviceId, p],
        ),
      ),
    );
  }
}
