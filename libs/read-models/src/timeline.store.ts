import { ttlOrNone, type CqlClient } from '#libs/cassandra';
import { conversationsTables, type ConversationsTables } from './conversations-tables.js';
import { versionOf, type VersionSource } from './read-model-versions.js';
import type { HistoryMessage, MediaReference, QuotedMessage, SystemNotice } from '#libs/protocol';

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

  async insert(m: HistoryMessage, ttlSeconds?: number): Promise<void> {
    const t = await this.t();
    const ttl = ttlOrNone(ttlSeconds);
    await Promise.all([
      this.cql.execute(
        `INSERT INTO ${t.messagesByConversation} (conversation_id, bucket, seq, message_id, sender_user_id, sender_device_id, client_message_id, body, media, reply_to, sent_at, system, mentions, quote) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?`,
        [
          m.conversationId,
          bucketOf(m.seq),
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
          ttl,
        ],
      ),
      this.cql.execute(
        `INSERT INTO ${t.messagesById} (conversation_id, message_id, seq, sender_user_id) VALUES (?, ?, ?, ?) USING TTL ?`,
        [m.conversationId, m.messageId, m.seq, m.senderUserId, ttl],
      ),
      // System messages have no client id to remember.
      m.system
        ? Promise.resolve()
        : this.cql.execute(
            `INSERT INTO ${t.clientMessages} (sender_user_id, sender_device_id, client_message_id, conversation_id, message_id, sent_at) VALUES (?, ?, ?, ?, ?, ?)`,
            [
              m.senderUserId,
              m.senderDeviceId,
              m.clientMessageId,
              m.conversationId,
              m.messageId,
              new Date(m.sentAt),
            ],
          ),
    ]);
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
    opts: { beforeSeq?: number; afterSeq?: number; limit: number; lastSeq: number },
  ): Promise<HistoryMessage[]> {
    const t = await this.t();
    const out: HistoryMessage[] = [];
    if (opts.afterSeq !== undefined) {
      for (let b = bucketOf(opts.afterSeq + 1); b <= bucketOf(opts.lastSeq) && out.length < opts.limit; b++) {
        const rs = await this.cql.execute(
          `SELECT * FROM ${t.messagesByConversation} WHERE conversation_id = ? AND bucket = ? AND seq > ? ORDER BY seq ASC LIMIT ?`,
          [conversationId, b, opts.afterSeq, opts.limit - out.length],
        );
        out.push(...rs.rows.map(toMessage));
      }
      return out;
    }
    const before = opts.beforeSeq ?? opts.lastSeq + 1;
    for (let b = bucketOf(before - 1); b >= 0 && out.length < opts.limit && before > 1; b--) {
      const rs = await this.cql.execute(
        `SELECT * FROM ${t.messagesByConversation} WHERE conversation_id = ? AND bucket = ? AND seq < ? LIMIT ?`,
        [conversationId, b, before, opts.limit - out.length],
      );
      out.push(...rs.rows.map(toMessage));
    }
    return out.reverse();
  }
}

function toMessage(r: { get(name: string): unknown }): HistoryMessage {
  const replyTo = r.get('reply_to');
  const media = r.get('media');
  const system = r.get('system') as string | null;
  const mentions = r.get('mentions') as string[] | null;
  const quote = r.get('quote') as string | null;
  return {
    conversationId: r.get('conversation_id') as string,
    messageId: String(r.get('message_id')),
    seq: Number(r.get('seq')),
    senderUserId: r.get('sender_user_id') as string,
    senderDeviceId: r.get('sender_device_id') as string,
    clientMessageId: r.get('client_message_id') as string,
    text: r.get('body') as string,
    ...(typeof media === 'string' ? { media: JSON.parse(media) as MediaReference } : {}),
    ...(replyTo !== null && replyTo !== undefined ? { replyTo: String(replyTo) } : {}),
    ...(quote ? { quote: JSON.parse(quote) as QuotedMessage } : {}),
    ...(mentions && mentions.length > 0 ? { mentions: [...mentions].sort() } : {}),
    ...(system ? { system: JSON.parse(system) as SystemNotice } : {}),
    sentAt: (r.get('sent_at') as Date).toISOString(),
  };
}
