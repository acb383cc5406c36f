import type { CqlClient } from '#libs/cassandra';
import { conversationsTables, type ConversationsTables } from './conversations-tables.js';
import { versionOf, type VersionSource } from './read-model-versions.js';

/**
 * Receipts are written USING TIMESTAMP of their event's time (microseconds): receipts need no order
 * (the projector applies them in a lane of their own, and during a rebuild's hand-over two writers
 * apply the same events), so the latest receipt wins however they are applied, and every replay and
 * rebuild converges on the same rows. A later delete (forget, TTL) still wins over them.
 */
const eventTime = (at: Date): number => at.getTime() * 1000;

/** Per recipient delivered / read times (message_status). */
export class ReceiptStore {
  /**
   * With `versions`, every statement uses the tables of the version readers are switched to (chatctl
   * rebuild conversations); with a fixed number, that version's tables (what a rebuild writes into).
   */
  constructor(
    private readonly cql: CqlClient,
    private readonly versions?: VersionSource,
  ) {}

  private async t(): Promise<ConversationsTables> {
    return conversationsTables(await versionOf(this.versions, 'conversations'));
  }

  async delivered(
    conversationId: string,
    messageIds: readonly string[],
    userId: string,
    at: Date,
  ): Promise<void> {
    const t = await this.t();
    await Promise.all(
      messageIds.map((id) =>
        this.cql.execute(
          `UPDATE ${t.messageStatus} USING TIMESTAMP ? SET delivered_at = ? WHERE conversation_id = ? AND message_id = ? AND user_id = ?`,
          [eventTime(at), at, conversationId, id, userId],
        ),
      ),
    );
  }

  async read(conversationId: string, messageId: string, userId: string, at: Date): Promise<void> {
    const t = await this.t();
    await this.cql.execute(
      `UPDATE ${t.messageStatus} USING TIMESTAMP ? SET read_at = ? WHERE conversation_id = ? AND message_id = ? AND user_id = ?`,
      [eventTime(at), at, conversationId, messageId, userId],
    );
  }

  async status(
    conversationId: string,
    messageId: string,
  ): Promise<Array<{ userId: string; deliveredAt?: string; readAt?: string }>> {
    const t = await this.t();
    const rs = await this.cql.execute(
      `SELECT user_id, delivered_at, read_at FROM ${t.messageStatus} WHERE conversation_id = ? AND message_id = ?`,
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
    const t = await this.t();
    await this.cql.execute(
      `INSERT INTO ${t.readMarkers} (conversation_id, user_id, seq, read_at) VALUES (?, ?, ?, ?) USING TIMESTAMP ?`,
      [conversationId, userId, seq, at, eventTime(at)],
    );
  }

  /** When a member first read up to or past this seq, if they have. */
  async readAt(conversationId: string, userId: string, seq: number): Promise<string | undefined> {
    const t = await this.t();
    const row = (
      await this.cql.execute(
        `SELECT read_at FROM ${t.readMarkers} WHERE conversation_id = ? AND user_id = ? AND seq >= ? ORDER BY seq ASC LIMIT 1`,
        [conversationId, userId, seq],
      )
    ).first();
    const at = row?.get('read_at') as Date | null | undefined;
    return at ? at.toISOString() : undefined;
  }
}
