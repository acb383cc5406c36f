import type { CqlClient } from '#libs/cassandra';

/** Per recipient delivered / read times (message_status). */
export class ReceiptStore {
  constructor(private readonly cql: CqlClient) {}

  async delivered(
    conversationId: string,
    messageIds: readonly string[],
    userId: string,
    at: Date,
  ): Promise<void> {
    await Promise.all(
      messageIds.map((id) =>
        this.cql.execute(
          'UPDATE message_status SET delivered_at = ? WHERE conversation_id = ? AND message_id = ? AND user_id = ?',
          [at, conversationId, id, userId],
        ),
      ),
    );
  }

  async read(conversationId: string, messageId: string, userId: string, at: Date): Promise<void> {
    await this.cql.execute(
      'UPDATE message_status SET read_at = ? WHERE conversation_id = ? AND message_id = ? AND user_id = ?',
      [at, conversationId, messageId, userId],
    );
  }

  async status(
    conversationId: string,
    messageId: string,
  ): Promise<Array<{ userId: string; deliveredAt?: string; readAt?: string }>> {
    const rs = await this.cql.execute(
      'SELECT user_id, delivered_at, read_at FROM message_status WHERE conversation_id = ? AND message_id = ?',
      [conversationId, messageId],
    );
    return rs.rows.map((r) => {
      const d = r.get('delivered_at') as Date | null;
      const rd = r.get('read_at') as Date | null;
      return {
        userId: r.get('user_id') as string,
        ...(d ? { deliveredAt: d.toISOString() } : {}),
        ...(rd ? { readAt: rd.toISOString() } : {}),
      };
    });
  }

  /** A member read up to this seq (a marker per read, so older messages keep their first read time). */
  async readMarker(conversationId: string, userId: string, seq: number, at: Date): Promise<void> {
    await this.cql.execute(
      'INSERT INTO read_markers (conversation_id, user_id, seq, read_at) VALUES (?, ?, ?, ?)',
      [conversationId, userId, seq, at],
    );
  }

  /** When a member first read up to or past this seq, if they have. */
  async readAt(conversationId: string, userId: string, seq: number): Promise<string | undefined> {
    const row = (
      await this.cql.execute(
        'SELECT read_at FROM read_markers WHERE conversation_id = ? AND user_id = ? AND seq >= ? ORDER BY seq ASC LIMIT 1',
        [conversationId, userId, seq],
      )
    ).first();
    const at = row?.get('read_at') as Date | null | undefined;
    return at ? at.toISOString() : undefined;
  }
}
