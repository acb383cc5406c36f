import { ttlOrNone, type CqlClient } from '#libs/cassandra';
import type { types as cqlTypes } from 'cassandra-driver';
import { conversationsTables, type ConversationsTables } from './conversations-tables.js';
import type { KeyedStatement } from './keyed-statement.js';
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
    const [row, ...lists] = await this.createStatements(c, createdBy, at);
    await this.cql.execute(row!.query, row!.params);
    await Promise.all(lists.map((l) => this.cql.execute(l.query, l.params)));
  }

  /**
   * What create writes: the conversation's row, then its members' list rows (for a bulk writer;
   * `lastActivityAt` lets a writer that folded the conversation write its row once).
   */
  async createStatements(
    c: ConversationRow,
    createdBy: string,
    at: Date,
    lastActivityAt: Date = at,
  ): Promise<KeyedStatement[]> {
    const t = await this.t();
    return [
      {
        query: `INSERT INTO ${t.conversations} (conversation_id, kind, members, created_by, created_at, last_message_seq, last_activity_at, applied_sequence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        params: [
          c.conversationId,
          c.kind,
          c.members,
          createdBy,
          at,
          c.lastMessageSeq,
          lastActivityAt,
          c.appliedSequence,
        ],
        partition: `${t.conversations}/${c.conversationId}`,
      },
      ...this.listStatements(t, c, c.members, at),
    ];
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
    await Promise.all(this.listStatements(t, c, userIds, at).map((l) => this.cql.execute(l.query, l.params)));
  }

  private listStatements(
    t: ConversationsTables,
    c: Pick<ConversationRow, 'conversationId' | 'kind' | 'members'>,
    userIds: readonly string[],
    at: Date,
  ): KeyedStatement[] {
    const members = c.kind === 'direct' ? c.members : null;
    return userIds.map((userId) => ({
      // read_up_to_seq is left to markRead alone: its writes are ordered by USING TIMESTAMP.
      query: `INSERT INTO ${t.conversationsByUser} (user_id, conversation_id, kind, members, last_activity_at, last_message_seq) VALUES (?, ?, ?, ?, ?, ?)`,
      params: [userId, c.conversationId, c.kind, members, at, 0],
      partition: `${t.conversationsByUser}/${userId}`,
    }));
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
    const c = await this.recordContactStatement(userId, contactId);
    await this.cql.execute(c.query, c.params);
  }

  async recordContactStatement(userId: string, contactId: string): Promise<KeyedStatement> {
    const t = await this.t();
    return {
      query: `INSERT INTO ${t.contactsByUser} (user_id, contact_id) VALUES (?, ?)`,
      params: [userId, contactId],
      partition: `${t.contactsByUser}/${userId}`,
    };
  }

  async recordMentions(userIds: readonly string[], conversationId: string, seq: number): Promise<void> {
    await Promise.all(
      userIds.map(async (userId) => {
        const m = await this.recordMentionStatement(userId, conversationId, seq);
        await this.cql.execute(m.query, m.params);
      }),
    );
  }

  /** One user's mention flag at `seq`; USING TIMESTAMP seq keeps the highest whatever the order of writes. */
  async recordMentionStatement(userId: string, conversationId: string, seq: number): Promise<KeyedStatement> {
    const t = await this.t();
    return {
      query: `UPDATE ${t.conversationsByUser} USING TIMESTAMP ? SET last_mention_seq = ? WHERE user_id = ? AND conversation_id = ?`,
      params: [Math.floor(seq), seq, userId, conversationId],
      partition: `${t.conversationsByUser}/${userId}`,
    };
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
    const a = await this.advanceStatement(conversationId, appliedSequence, lastMessageSeq, at ?? new Date());
    await this.cql.execute(a.query, a.params);
  }

  /** What advance writes after messages, for a bulk writer. */
  async advanceStatement(
    conversationId: string,
    appliedSequence: number,
    lastMessageSeq: number,
    at: Date,
  ): Promise<KeyedStatement> {
    const t = await this.t();
    return {
      query: `UPDATE ${t.conversations} SET applied_sequence = ?, last_message_seq = ?, last_activity_at = ? WHERE conversation_id = ?`,
      params: [appliedSequence, lastMessageSeq, at, conversationId],
      partition: `${t.conversations}/${conversationId}`,
    };
  }

  /** The preview holds content, so in transient mode it expires with the timeline (ttlSeconds). */
  async recordMessage(userIds: readonly string[], m: HistoryMessage, ttlSeconds?: number): Promise<void> {
    const statements = await this.recordMessageStatements(userIds, m, ttlSeconds);
    await Promise.all(statements.map((r) => this.cql.execute(r.query, r.params)));
  }

  /** What recordMessage writes, for a bulk writer. */
  async recordMessageStatements(
    userIds: readonly string[],
    m: HistoryMessage,
    ttlSeconds?: number,
  ): Promise<KeyedStatement[]> {
    const t = await this.t();
    const json = JSON.stringify(m);
    const at = new Date(m.sentAt);
    return userIds.flatMap((userId): KeyedStatement[] => {
      const partition = `${t.conversationsByUser}/${userId}`;
      return ttlSeconds
        ? [
            // Only the preview expires: activity time and sequence keep the list's order and unread count.
            {
              query: `UPDATE ${t.conversationsByUser} USING TTL ? SET last_message = ? WHERE user_id = ? AND conversation_id = ?`,
              params: [ttlOrNone(ttlSeconds), json, userId, m.conversationId],
              partition,
            },
            {
              query: `UPDATE ${t.conversationsByUser} SET last_activity_at = ?, last_message_seq = ? WHERE user_id = ? AND conversation_id = ?`,
              params: [at, m.seq, userId, m.conversationId],
              partition,
            },
          ]
        : [
            {
              query: `UPDATE ${t.conversationsByUser} SET last_activity_at = ?, last_message = ?, last_message_seq = ? WHERE user_id = ? AND conversation_id = ?`,
              params: [at, json, m.seq, userId, m.conversationId],
              partition,
            },
          ];
    });
  }

  /** Moves a user's read marker; USING TIMESTAMP seq keeps the highest marker whatever the order of writes. */
  async markRead(userId: string, conversationId: string, seq: number): Promise<void> {
    const r = await this.markReadStatement(userId, conversationId, seq);
    await this.cql.execute(r.query, r.params);
  }

  async markReadStatement(userId: string, conversationId: string, seq: number): Promise<KeyedStatement> {
    const t = await this.t();
    return {
      query: `UPDATE ${t.conversationsByUser} USING TIMESTAMP ? SET read_up_to_seq = ? WHERE user_id = ? AND conversation_id = ?`,
      params: [Math.floor(seq), seq, userId, conversationId],
      partition: `${t.conversationsByUser}/${userId}`,
    };
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
