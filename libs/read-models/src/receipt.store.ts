import type { CqlClient } from '#libs/cassandra';
import { conversationsTables, type ConversationsTables } from './conversations-tables.js';
import type { KeyedStatement } from './keyed-statement.js';
import { versionOf, type VersionSource } from './read-model-versions.js';

/**
 * Receipts are written USING TIMESTAMP of their event's time (microseconds): receipts need no order
 * (the projector applies them in a lane of their own, and during a rebuild's hand-over two writers
 * apply the same events), so the latest receipt wins however they are applied, and every replay and
 * rebuild converges on the same rows. A later delete (forget, TTL) still wins over them.
 */
const eventTime = (at: Date): number => at.getTime() * 1000;

/**
 * Rows per unlogged batch: a large group's flush names hundreds of members for one message, and
 * Cassandra warns above 5 KiB and refuses above 50 KiB of batch (about 120 bytes a row here).
 */
const ROWS_PER_BATCH = 32;

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

  /**
   * Delivered times of many (message, member) pairs: the rows of one message share its partition and go
   * in one unlogged batch; different messages are written concurrently.
   */
  async delivered(
    conversationId: string,
    rows: ReadonlyArray<{ readonly messageId: string; readonly userId: string }>,
    at: Date,
  ): Promise<void> {
    const t = await this.t();
    const byMessage = new Map<string, Set<string>>();
    for (const r of rows) {
      const users = byMessage.get(r.messageId);
      if (users) users.add(r.userId);
      else byMessage.set(r.messageId, new Set([r.userId]));
    }
    const batches = [...byMessage].flatMap(([messageId, users]) => {
      const statements = [...users].map((userId) =>
        this.deliveredStatementAt(t, conversationId, messageId, userId, at),
      );
      const out: Array<typeof statements> = [];
      for (let i = 0; i < statements.length; i += ROWS_PER_BATCH)
        out.push(statements.slice(i, i + ROWS_PER_BATCH));
      return out;
    });
    await Promise.all(
      batches.map((statements) =>
        statements.length === 1
          ? this.cql.execute(statements[0]!.query, statements[0]!.params)
          : this.cql.batch(statements, { prepare: true, logged: false }),
      ),
    );
  }

  /** One (message, member) delivered time, for a bulk writer. */
  async deliveredStatement(
    conversationId: string,
    messageId: string,
    userId: string,
    at: Date,
  ): Promise<KeyedStatement> {
    return this.deliveredStatementAt(await this.t(), conversationId, messageId, userId, at);
  }

  private deliveredStatementAt(
    t: ConversationsTables,
    conversationId: string,
    messageId: string,
    userId: string,
    at: Date,
  ): KeyedStatement {
    return {
      query: `UPDATE ${t.messageStatus} USING TIMESTAMP ? SET delivered_at = ? WHERE conversation_id = ? AND message_id = ? AND user_id = ?`,
      params: [eventTime(at), at, conversationId, messageId, userId],
      partition: `${t.messageStatus}/${conversationId}/${messageId}`,
    };
  }

  async read(conversationId: string, messageId: string, userId: string, at: Date): Promise<void> {
    const r = await this.readStatement(conversationId, messageId, userId, at);
    await this.cql.execute(r.query, r.params);
  }

  async readStatement(
    conversationId: string,
    messageId: string,
    userId: string,
    at: Date,
  ): Promise<KeyedStatement> {
    const t = await this.t();
    return {
      query: `UPDATE ${t.messageStatus} USING TIMESTAMP ? SET read_at = ? WHERE conversation_id = ? AND message_id = ? AND user_id = ?`,
      params: [eventTime(at), at, conversationId, messageId, userId],
      partition: `${t.messageStatus}/${conversationId}/${messageId}`,
    };
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
    const r = await this.readMarkerStatement(conversationId, userId, seq, at);
    await this.cql.execute(r.query, r.params);
  }

  async readMarkerStatement(
    conversationId: string,
    userId: string,
    seq: number,
    at: Date,
  ): Promise<KeyedStatement> {
    const t = await this.t();
    return {
      query: `INSERT INTO ${t.readMarkers} (conversation_id, user_id, seq, read_at) VALUES (?, ?, ?, ?) USING TIMESTAMP ?`,
      params: [conversationId, userId, seq, at, eventTime(at)],
      partition: `${t.readMarkers}/${conversationId}/${userId}`,
    };
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
