import { ttlOrNone, type CqlClient } from '#libs/cassandra';
import type { types as cqlTypes } from 'cassandra-driver';
import { conversationsTables, type ConversationsTables } from './conversations-tables.js';
import { versionOf, type VersionSource } from './read-model-versions.js';
import type { ConversationSummary, HistoryMessage } from '#libs/protocol';

export interface ConversationRow {
  readonly conversationId: string;
  readonly kind: 'direct' | 'group';
  readonly members: readonly string[];
  readonly lastMessageSeq: number;
  readonly appliedSequence: number;
}

/** Conversations (the projector's position per conversation) and every user's conversation list. */
export class ConversationStore {
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

  async get(conversationId: string): Promise<ConversationRow | undefined> {
    const t = await this.t();
    const row = (
      await this.cql.execute(
        `SELECT kind, members, last_message_seq, applied_sequence FROM ${t.conversations} WHERE conversation_id = ?`,
        [conversationId],
      )
    ).first();
    if (!row) return undefined;
    return {
      conversationId,
      kind: row.get('kind') as 'direct' | 'group',
      members: [...((row.get('members') as string[] | null) ?? [])],
      lastMessageSeq: Number(row.get('last_message_seq') ?? 0),
      appliedSequence: Number(row.get('applied_sequence') ?? 0),
    };
  }

  async create(c: ConversationRow, createdBy: string, at: Date): Promise<void> {
    const t = await this.t();
    await this.cql.execute(
      `INSERT INTO ${t.conversations} (conversation_id, kind, members, created_by, created_at, last_message_seq, last_activity_at, applied_sequence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [c.conversationId, c.kind, c.members, createdBy, at, c.lastMessageSeq, at, c.appliedSequence],
    );
    await this.listFor(c, c.members, at);
  }

  /**
   * Puts a conversation in these users' lists. A group's list rows carry no member set (it would be
   * copied into every member's row): its members are read from the conversation when listed.
   */
  private async listFor(
    c: Pick<ConversationRow, 'conversationId' | 'kind' | 'members'>,
    userIds: readonly string[],
    at: Date,
  ): Promise<void> {
    const t = await this.t();
    const members = c.kind === 'direct' ? c.members : null;
    await Promise.all(
      userIds.map((userId) =>
        this.cql.execute(
          // read_up_to_seq is left to markRead alone: its writes are ordered by USING TIMESTAMP.
          `INSERT INTO ${t.conversationsByUser} (user_id, conversation_id, kind, members, last_activity_at, last_message_seq) VALUES (?, ?, ?, ?, ?, ?)`,
          [userId, c.conversationId, c.kind, members, at, 0],
        ),
      ),
    );
  }

  /** New group members: in the conversation's member set and, from now on, in their lists. */
  async addMembers(conversationId: string, userIds: readonly string[], at: Date): Promise<void> {
    const t = await this.t();
    await this.cql.execute(`UPDATE ${t.conversations} SET members = members + ? WHERE conversation_id = ?`, [
      userIds,
      conversationId,
    ]);
    await this.listFor({ conversationId, kind: 'group', members: [] }, userIds, at);
  }

  /** A removed or departed member keeps the group in their list (its past stays readable to the client) but gets nothing new. */
  async removeMember(conversationId: string, userId: string): Promise<void> {
    const t = await this.t();
    await this.cql.execute(`UPDATE ${t.conversations} SET members = members - ? WHERE conversation_id = ?`, [
      [userId],
      conversationId,
    ]);
  }

  /** Flags a message that mentions these users in their lists until they read past it. */
  /** `userId` sent `contactId` a message: `contactId` is now one of `userId`'s contacts (idempotent). */
  async recordContact(userId: string, contactId: string): Promise<void> {
    const t = await this.t();
    await this.cql.execute(`INSERT INTO ${t.contactsByUser} (user_id, contact_id) VALUES (?, ?)`, [
      userId,
      contactId,
    ]);
  }

  async recordMentions(userIds: readonly string[], conversationId: string, seq: number): Promise<void> {
    const t = await this.t();
    await Promise.all(
      userIds.map((userId) =>
        this.cql.execute(
          `UPDATE ${t.conversationsByUser} USING TIMESTAMP ? SET last_mention_seq = ? WHERE user_id = ? AND conversation_id = ?`,
          [Math.floor(seq), seq, userId, conversationId],
        ),
      ),
    );
  }

  /** Records that the projector applied everything up to this stream sequence. */
  async advance(
    conversationId: string,
    appliedSequence: number,
    lastMessageSeq?: number,
    at?: Date,
  ): Promise<void> {
    const t = await this.t();
    if (lastMessageSeq === undefined) {
      await this.cql.execute(`UPDATE ${t.conversations} SET applied_sequence = ? WHERE conversation_id = ?`, [
        appliedSequence,
        conversationId,
      ]);
      return;
    }
    await this.cql.execute(
      `UPDATE ${t.conversations} SET applied_sequence = ?, last_message_seq = ?, last_activity_at = ? WHERE conversation_id = ?`,
      [appliedSequence, lastMessageSeq, at ?? new Date(), conversationId],
    );
  }

  /** The preview holds content, so in transient mode it expires with the timeline (ttlSeconds). */
  async recordMessage(userIds: readonly string[], m: HistoryMessage, ttlSeconds?: number): Promise<void> {
    const t = await this.t();
    const json = JSON.stringify(m);
    const at = new Date(m.sentAt);
    const update = (userId: string): Promise<unknown> =>
      ttlSeconds
        ? Promise.all([
            // Only the preview expires: activity time and sequence keep the list's order and unread count.
            this.cql.execute(
              `UPDATE ${t.conversationsByUser} USING TTL ? SET last_message = ? WHERE user_id = ? AND conversation_id = ?`,
              [ttlOrNone(ttlSeconds), json, userId, m.conversationId],
            ),
            this.cql.execute(
              `UPDATE ${t.conversationsByUser} SET last_activity_at = ?, last_message_seq = ? WHERE user_id = ? AND conversation_id = ?`,
              [at, m.seq, userId, m.conversationId],
            ),
          ])
        : this.cql.execute(
            `UPDATE ${t.conversationsByUser} SET last_activity_at = ?, last_message = ?, last_message_seq = ? WHERE user_id = ? AND conversation_id = ?`,
            [at, json, m.seq, userId, m.conversationId],
          );
    await Promise.all(userIds.map(update));
  }

  /** Moves a user's read marker; USING TIMESTAMP seq keeps the highest marker whatever the order of writes. */
  async markRead(userId: string, conversationId: string, seq: number): Promise<void> {
    const t = await this.t();
    await this.cql.execute(
      `UPDATE ${t.conversationsByUser} USING TIMESTAMP ? SET read_up_to_seq = ? WHERE user_id = ? AND conversation_id = ?`,
      [Math.floor(seq), seq, userId, conversationId],
    );
  }

  /** Each user's read marker (seq) in a conversation; 0 when they have read nothing. */
  async readMarks(conversationId: string, userIds: readonly string[]): Promise<Map<string, number>> {
    const t = await this.t();
    const out = new Map<string, number>();
    const BATCH = 64;
    for (let i = 0; i < userIds.length; i += BATCH) {
      await Promise.all(
        userIds.slice(i, i + BATCH).map(async (userId) => {
          const row = (
            await this.cql.execute(
              `SELECT read_up_to_seq FROM ${t.conversationsByUser} WHERE user_id = ? AND conversation_id = ?`,
              [userId, conversationId],
            )
          ).first();
          out.set(userId, Number(row?.get('read_up_to_seq') ?? 0));
        }),
      );
    }
    return out;
  }

  async listForUser(userId: string, limit: number): Promise<ConversationSummary[]> {
    const t = await this.t();
    const rs = await this.cql.execute(
      `SELECT ${SUMMARY_COLUMNS} FROM ${t.conversationsByUser} WHERE user_id = ?`,
      [userId],
      { fetchSize: 5000 },
    );
    const page = rs.rows
      .map(summaryOf)
      .sort((a, b) => b.lastActivityAt.localeCompare(a.lastActivityAt))
      .slice(0, limit);
    return Promise.all(
      page.map(async (c) => {
        if (c.kind !== 'group') return c;
        const group = await this.get(c.conversationId);
        return { ...c, members: group ? [...group.members].sort() : [] };
      }),
    );
  }

  /** One entry of the user's conversation list (members as the projection last wrote them). */
  async summaryForUser(userId: string, conversationId: string): Promise<ConversationSummary | undefined> {
    const t = await this.t();
    const row = (
      await this.cql.execute(
        `SELECT ${SUMMARY_COLUMNS} FROM ${t.conversationsByUser} WHERE user_id = ? AND conversation_id = ?`,
        [userId, conversationId],
      )
    ).first();
    return row ? summaryOf(row) : undefined;
  }
}

const SUMMARY_COLUMNS =
  'conversation_id, kind, members, last_activity_at, last_message, last_message_seq, read_up_to_seq, last_mention_seq';

type Row = cqlTypes.Row;

function summaryOf(r: Row): ConversationSummary {
  const last = r.get('last_message') as string | null;
  const lastSeq = Number(r.get('last_message_seq') ?? 0);
  const readSeq = Number(r.get('read_up_to_seq') ?? 0);
  const mentionSeq = Number(r.get('last_mention_seq') ?? 0);
  return {
    conversationId: r.get('conversation_id') as string,
    kind: r.get('kind') as 'direct' | 'group',
    members: [...((r.get('members') as string[] | null) ?? [])],
    lastActivityAt: (r.get('last_activity_at') as Date).toISOString(),
    ...(last ? { lastMessage: JSON.parse(last) as HistoryMessage } : {}),
    unreadCount: Math.max(0, lastSeq - readSeq),
    ...(mentionSeq > readSeq ? { mentioned: true } : {}),
  };
}
