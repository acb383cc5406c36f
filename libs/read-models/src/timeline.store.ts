import { ttlOrNone, type CqlClient } from '#libs/cassandra';
import { conversationsTables, type ConversationsTables } from './conversations-tables.js';
import type { KeyedStatement } from './keyed-statement.js';
import { versionOf, type VersionSource } from './read-model-versions.js';
import {
  forwardMarks,
  type HistoryMessage,
  type LocationView,
  type MediaReference,
  type MessageDeletion,
  type QuotedMessage,
  type ReactionCount,
  type SystemNotice,
} from '#libs/protocol';

/** Messages per bucket of the timeline: partitions stay bounded however long a conversation runs. */
export const TIMELINE_BUCKET_SIZE = 10_000;
const bucketOf = (seq: number): number => Math.floor(seq / TIMELINE_BUCKET_SIZE);

export interface MessageRef {
  readonly seq: number;
  readonly senderUserId: string;
}

/** Conversation timelines (messages_by_conversation, messages_by_id) and client message ids. */
export class TimelineStore {
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
   * `withheldFrom`: members the message is never shown to (they blocked its sender; issue 18).
   * `streamSeq`: the position of the message's MessageSent (its inbox entries' key), for a later deletion.
   */
  async insert(
    m: HistoryMessage,
    ttlSeconds?: number,
    withheldFrom?: readonly string[],
    streamSeq?: number,
  ): Promise<void> {
    const statements = await this.insertStatements(m, ttlSeconds, withheldFrom, streamSeq);
    await Promise.all(statements.map((s) => this.cql.execute(s.query, s.params)));
  }

  /** The rows of one message (what insert writes), for a bulk writer; each row lands in its own partition but the first. */
  async insertStatements(
    m: HistoryMessage,
    ttlSeconds?: number,
    withheldFrom?: readonly string[],
    streamSeq?: number,
  ): Promise<KeyedStatement[]> {
    const t = await this.t();
    const ttl = ttlOrNone(ttlSeconds);
    const bucket = bucketOf(m.seq);
    const out: KeyedStatement[] = [
      {
        query: `INSERT INTO ${t.messagesByConversation} (conversation_id, bucket, seq, message_id, sender_user_id, sender_device_id, client_message_id, body, media, reply_to, sent_at, system, mentions, quote, forward_count, location, withheld_from, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?`,
        params: [
          m.conversationId,
          bucket,
          m.seq,
          m.messageId,
          m.senderUserId,
          m.senderDeviceId,
          m.clientMessageId,
          m.text,
          m.media ? JSON.stringify(m.media) : null,
          m.replyTo ?? null,
          new Date(m.sentAt),
          m.system ? JSON.stringify(m.system) : null,
          m.mentions && m.mentions.length > 0 ? [...m.mentions] : null,
          m.quote ? JSON.stringify(m.quote) : null,
          m.forwardCount ?? null,
          m.location ? JSON.stringify(m.location) : null,
          withheldFrom && withheldFrom.length > 0 ? [...withheldFrom] : null,
          m.expiresAt !== undefined ? new Date(m.expiresAt) : null,
          ttl,
        ],
        partition: `${t.messagesByConversation}/${m.conversationId}/${bucket}`,
      },
      {
        query: `INSERT INTO ${t.messagesById} (conversation_id, message_id, seq, sender_user_id, stream_seq) VALUES (?, ?, ?, ?, ?) USING TTL ?`,
        params: [m.conversationId, m.messageId, m.seq, m.senderUserId, streamSeq ?? null, ttl],
      },
    ];
    // System messages have no client id to remember.
    if (!m.system)
      out.push({
        query: `INSERT INTO ${t.clientMessages} (sender_user_id, sender_device_id, client_message_id, conversation_id, message_id, sent_at) VALUES (?, ?, ?, ?, ?, ?)`,
        params: [
          m.senderUserId,
          m.senderDeviceId,
          m.clientMessageId,
          m.conversationId,
          m.messageId,
          new Date(m.sentAt),
        ],
      });
    return out;
  }

  async ref(conversationId: string, messageId: string): Promise<MessageRef | undefined> {
    const t = await this.t();
    const row = (
      await this.cql.execute(
        `SELECT seq, sender_user_id FROM ${t.messagesById} WHERE conversation_id = ? AND message_id = ?`,
        [conversationId, messageId],
      )
    ).first();
    return row
      ? { seq: Number(row.get('seq')), senderUserId: row.get('sender_user_id') as string }
      : undefined;
  }

  /** The message a device already sent with this client message id, if any. */
  async byClientId(
    userId: string,
    deviceId: string,
    clientMessageId: string,
  ): Promise<{ conversationId: string; messageId: string; sentAt: string } | undefined> {
    const t = await this.t();
    const row = (
      await this.cql.execute(
        `SELECT conversation_id, message_id, sent_at FROM ${t.clientMessages} WHERE sender_user_id = ? AND sender_device_id = ? AND client_message_id = ?`,
        [userId, deviceId, clientMessageId],
      )
    ).first();
    if (!row) return undefined;
    return {
      conversationId: row.get('conversation_id') as string,
      messageId: String(row.get('message_id')),
      sentAt: (row.get('sent_at') as Date).toISOString(),
    };
  }

  /**
   * A page of messages, oldest first: the `limit` messages before `beforeSeq`, or after `afterSeq`, or
   * the latest ones. Walks buckets so a page may span two.
   */
  async page(
    conversationId: string,
    opts: { beforeSeq?: number; afterSeq?: number; limit: number; lastSeq: number; viewerId?: string },
  ): Promise<HistoryMessage[]> {
    const t = await this.t();
    const out: HistoryMessage[] = [];
    // Messages the viewer deleted for themselves, and those withheld from them (they blocked the sender),
    // are left out; the bucket is read on past them, so a page is short only at the conversation's
    // start or end.
    const visible = (r: { get(name: string): unknown }): boolean =>
      opts.viewerId === undefined ||
      !(
        ((r.get('hidden_for') as string[] | null) ?? []).includes(opts.viewerId) ||
        ((r.get('withheld_from') as string[] | null) ?? []).includes(opts.viewerId)
      );
    if (opts.afterSeq !== undefined) {
      for (let b = bucketOf(opts.afterSeq + 1); b <= bucketOf(opts.lastSeq) && out.length < opts.limit; b++) {
        for (let after = opts.afterSeq; out.length < opts.limit;) {
          const want = opts.limit - out.length;
          const rs = await this.cql.execute(
            `SELECT * FROM ${t.messagesByConversation} WHERE conversation_id = ? AND bucket = ? AND seq > ? ORDER BY seq ASC LIMIT ?`,
            [conversationId, b, after, want],
          );
          out.push(...rs.rows.filter(visible).map(readTimelineMessage));
          if (rs.rows.length < want) break; // the bucket is exhausted
          after = Number(rs.rows.at(-1)!.get('seq'));
        }
      }
      return out;
    }
    const before = opts.beforeSeq ?? opts.lastSeq + 1;
    for (let b = bucketOf(before - 1); b >= 0 && out.length < opts.limit && before > 1; b--) {
      for (let below = before; out.length < opts.limit;) {
        const want = opts.limit - out.length;
        const rs = await this.cql.execute(
          `SELECT * FROM ${t.messagesByConversation} WHERE conversation_id = ? AND bucket = ? AND seq < ? LIMIT ?`,
          [conversationId, b, below, want],
        );
        out.push(...rs.rows.filter(visible).map(readTimelineMessage));
        if (rs.rows.length < want) break; // the bucket is exhausted
        below = Number(rs.rows.at(-1)!.get('seq'));
      }
    }
    return out.reverse();
  }
}

/** A messages_by_conversation row as the message history.get returns. */
export function readTimelineMessage(r: { get(name: string): unknown }): HistoryMessage {
  const replyTo = r.get('reply_to');
  const media = r.get('media');
  const system = r.get('system') as string | null;
  const mentions = r.get('mentions') as string[] | null;
  const quote = r.get('quote') as string | null;
  const editedAt = r.get('edited_at') as Date | null;
  const deleted = r.get('deleted') as string | null;
  const forwardCount = r.get('forward_count') as number | null;
  const location = r.get('location') as string | null;
  const expiresAt = r.get('expires_at') as Date | null | undefined;
  const reactions = reactionCounts(r.get('reactions') as Record<string, string> | null);
  return {
    conversationId: r.get('conversation_id') as string,
    messageId: String(r.get('message_id')),
    seq: Number(r.get('seq')),
    senderUserId: r.get('sender_user_id') as string,
    senderDeviceId: r.get('sender_device_id') as string,
    clientMessageId: r.get('client_message_id') as string,
    text: r.get('body') as string,
    ...(typeof media === 'string' ? { media: JSON.parse(media) as MediaReference } : {}),
    ...(location ? { location: JSON.parse(location) as LocationView } : {}),
    ...(replyTo !== null && replyTo !== undefined ? { replyTo: String(replyTo) } : {}),
    ...(quote ? { quote: JSON.parse(quote) as QuotedMessage } : {}),
    ...(mentions && mentions.length > 0 ? { mentions: [...mentions].sort() } : {}),
    ...(system ? { system: JSON.parse(system) as SystemNotice } : {}),
    sentAt: (r.get('sent_at') as Date).toISOString(),
    ...(editedAt ? { editedAt: editedAt.toISOString() } : {}),
    ...(deleted ? { deleted: JSON.parse(deleted) as MessageDeletion } : {}),
    ...(forwardCount !== null && forwardCount !== undefined ? forwardMarks(forwardCount) : {}),
    ...(reactions.length > 0 ? { reactions } : {}),
    ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}),
  };
}

/** Each member's emoji (user id -> emoji) as counts per emoji: most first, then by emoji; users sorted. */
export function reactionCounts(byUser: Readonly<Record<string, string>> | null): ReactionCount[] {
  const byEmoji = new Map<string, string[]>();
  for (const [userId, emoji] of Object.entries(byUser ?? {}))
    byEmoji.set(emoji, [...(byEmoji.get(emoji) ?? []), userId]);
  return [...byEmoji]
    .map(([emoji, userIds]) => ({ emoji, count: userIds.length, userIds: userIds.sort() }))
    .sort((a, b) => b.count - a.count || (a.emoji < b.emoji ? -1 : a.emoji > b.emoji ? 1 : 0));
}
