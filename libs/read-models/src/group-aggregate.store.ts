import type { CqlClient } from '#libs/cassandra';

/**
 * What the projector has sent of groups' aggregate receipts (group_read_aggregates,
 * group_delivered_aggregates): per sender, how far "read by all" went out; per message, whether
 * "delivered to all" did. Delivery state, shared by every version of the conversations read model.
 */
export class GroupAggregateStore {
  constructor(private readonly cql: CqlClient) {}

  /** Per sender, the seq up to which "read by all" was sent. */
  async readUpTo(conversationId: string): Promise<Map<string, number>> {
    const rs = await this.cql.execute(
      'SELECT sender_user_id, up_to_seq FROM group_read_aggregates WHERE conversation_id = ?',
      [conversationId],
    );
    return new Map(rs.rows.map((r) => [r.get('sender_user_id') as string, Number(r.get('up_to_seq'))]));
  }

  async saveReadUpTo(conversationId: string, upTo: ReadonlyMap<string, number>): Promise<void> {
    await Promise.all(
      [...upTo].map(([sender, seq]) =>
        // USING TIMESTAMP seq: only ever rises, whatever order two writes land in.
        this.cql.execute(
          'UPDATE group_read_aggregates USING TIMESTAMP ? SET up_to_seq = ? WHERE conversation_id = ? AND sender_user_id = ?',
          [Math.floor(seq), seq, conversationId, sender],
        ),
      ),
    );
  }

  async deliveredSent(conversationId: string, messageId: string): Promise<boolean> {
    const rs = await this.cql.execute(
      'SELECT message_id FROM group_delivered_aggregates WHERE conversation_id = ? AND message_id = ?',
      [conversationId, messageId],
    );
    return rs.rows.length > 0;
  }

  async markDeliveredSent(conversationId: string, messageIds: readonly string[]): Promise<void> {
    await Promise.all(
      messageIds.map((id) =>
        this.cql.execute(
          'INSERT INTO group_delivered_aggregates (conversation_id, message_id) VALUES (?, ?)',
          [conversationId, id],
        ),
      ),
    );
  }
}
