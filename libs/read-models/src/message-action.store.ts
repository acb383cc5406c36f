import { ttlOrNone, type CqlClient } from '#libs/cassandra';
import type { HistoryMessage, LocationView, MediaReference, MessageDeletion } from '#libs/protocol';
import { conversationsTables, type ConversationsTables } from './conversations-tables.js';
import { versionOf, type VersionSource } from './read-model-versions.js';
import { readTimelineMessage, TIMELINE_BUCKET_SIZE } from './timeline.store.js';

/** A message as an action finds it: its timeline row, and what the row does not show. */
export interface ActionTarget {
  readonly message: HistoryMessage;
  /** Stream sequence of its MessageSent (the key of its inbox entries); absent for rows older than 016. */
  readonly streamSeq?: number;
  readonly hiddenFor: readonly string[];
  /** Members the message was withheld from (they blocked its sender; issue 18): no update reaches them. */
  readonly withheldFrom: readonly string[];
}

/**
 * What kind of message a timeline row holds. The timeline keeps no E2E ciphertext (issue 17): an E2E
 * message is stored with an empty body and nothing else, which no other message has (text is never
 * blank, media, location and system messages have their own columns).
 */
export function storedMessageKind(m: HistoryMessage): 'text' | 'media' | 'e2e' | 'system' | 'location' {
  if (m.system) return 'system';
  if (m.media) return 'media';
  if (m.location) return 'location';
  return m.text === '' && m.deleted === undefined ? 'e2e' : 'text';
}

const bucketOf = (seq: number): number => Math.floor(seq / TIMELINE_BUCKET_SIZE);

/**
 * The timeline rows message actions change (issue 19): an edit rewrites the body or the caption and
 * stamps edited_at, a deletion for everyone clears body and media and records who deleted it, a
 * deletion for oneself adds the user to hidden_for. Written by the conversation projection in stream
 * order, read by the gateway to decide an action. Pinned to one version like TimelineStore.
 */
export class MessageActionStore {
  constructor(
    private readonly cql: CqlClient,
    private readonly versions?: VersionSource,
  ) {}

  private async t(): Promise<ConversationsTables> {
    return conversationsTables(await versionOf(this.versions, 'conversations'));
  }

  async target(conversationId: string, messageId: string): Promise<ActionTarget | undefined> {
    const t = await this.t();
    const ref = (
      await this.cql.execute(
        `SELECT seq, stream_seq FROM ${t.messagesById} WHERE conversation_id = ? AND message_id = ?`,
        [conversationId, messageId],
      )
    ).first();
    if (!ref) return undefined;
    const seq = Number(ref.get('seq'));
    const row = (
      await this.cql.execute(
        `SELECT * FROM ${t.messagesByConversation} WHERE conversation_id = ? AND bucket = ? AND seq = ?`,
        [conversationId, bucketOf(seq), seq],
      )
    ).first();
    if (!row) return undefined; // expired with the retention window
    const streamSeq = ref.get('stream_seq') as unknown;
    return {
      message: readTimelineMessage(row),
      ...(streamSeq !== null && streamSeq !== undefined ? { streamSeq: Number(streamSeq) } : {}),
      hiddenFor: [...((row.get('hidden_for') as string[] | null) ?? [])],
      withheldFrom: [...((row.get('withheld_from') as string[] | null) ?? [])],
    };
  }

  /** The latest text (or the media reference with its new caption), marked edited at `at`. */
  async edit(
    m: HistoryMessage,
    change: { text: string } | { media: MediaReference } | { location: LocationView },
    at: Date,
    ttlSeconds?: number,
  ): Promise<void> {
    const t = await this.t();
    const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));
    // Written with what is left of the message's own window, so an edit never outlives the message.
    await this.cql.execute(
      `UPDATE ${t.messagesByConversation} USING TTL ? SET body = ?, media = ?, location = ?, edited_at = ? WHERE conversation_id = ? AND bucket = ? AND seq = ?`,
      [
        ttlOrNone(ttlSeconds),
        'text' in change ? change.text : m.text,
        json('media' in change ? change.media : m.media),
        json('location' in change ? change.location : m.location),
        at,
        m.conversationId,
        bucketOf(m.seq),
        m.seq,
      ],
    );
  }

  /** Deleted for everyone: the content goes (body, media, mentions, edit time), the deletion stays. */
  async remove(m: HistoryMessage, deletion: MessageDeletion, ttlSeconds?: number): Promise<void> {
    const t = await this.t();
    await this.cql.execute(
      `UPDATE ${t.messagesByConversation} USING TTL ? SET body = '', media = null, location = null, mentions = null, edited_at = null, reactions = null, deleted = ? WHERE conversation_id = ? AND bucket = ? AND seq = ?`,
      [ttlOrNone(ttlSeconds), JSON.stringify(deletion), m.conversationId, bucketOf(m.seq), m.seq],
    );
  }

  async hide(m: HistoryMessage, userId: string, ttlSeconds?: number): Promise<void> {
    const t = await this.t();
    await this.cql.execute(
      `UPDATE ${t.messagesByConversation} USING TTL ? SET hidden_for = hidden_for + ? WHERE conversation_id = ? AND bucket = ? AND seq = ?`,
      [ttlOrNone(ttlSeconds), [userId], m.conversationId, bucketOf(m.seq), m.seq],
    );
  }

  /** The member's one reaction: set (replacing theirs) or, without emoji, removed. */
  async react(
    m: HistoryMessage,
    userId: string,
    emoji: string | undefined,
    ttlSeconds?: number,
  ): Promise<void> {
    const t = await this.t();
    const where = [m.conversationId, bucketOf(m.seq), m.seq];
    if (emoji === undefined)
      await this.cql.execute(
        `DELETE reactions[?] FROM ${t.messagesByConversation} WHERE conversation_id = ? AND bucket = ? AND seq = ?`,
        [userId, ...where],
      );
    else
      await this.cql.execute(
        `UPDATE ${t.messagesByConversation} USING TTL ? SET reactions[?] = ? WHERE conversation_id = ? AND bucket = ? AND seq = ?`,
        [ttlOrNone(ttlSeconds), userId, emoji, ...where],
      );
  }

  /**
   * A disappearing message expired: its rows go from the timeline and the id index, as if it had never
   * been sent (its seq stays taken; history skips it like a row the retention window expired).
   */
  async expire(m: HistoryMessage): Promise<void> {
    const t = await this.t();
    await Promise.all([
      this.cql.execute(
        `DELETE FROM ${t.messagesByConversation} WHERE conversation_id = ? AND bucket = ? AND seq = ?`,
        [m.conversationId, bucketOf(m.seq), m.seq],
      ),
      this.cql.execute(`DELETE FROM ${t.messagesById} WHERE conversation_id = ? AND message_id = ?`, [
        m.conversationId,
        m.messageId,
      ]),
    ]);
  }

  /** The user's list entry shows no last message (they hid it). */
  async clearPreview(userId: string, conversationId: string): Promise<void> {
    const t = await this.t();
    await this.cql.execute(
      `UPDATE ${t.conversationsByUser} SET last_message = null WHERE user_id = ? AND conversation_id = ?`,
      [userId, conversationId],
    );
  }
}

/** A deleted message as every read model shows it from now on: no text, no media, who deleted it. */
export function deletedMessage(m: HistoryMessage, deletion: MessageDeletion): HistoryMessage {
  const {
    media: _media,
    location: _location,
    mentions: _mentions,
    editedAt: _editedAt,
    reactions: _reactions,
    ...rest
  } = m;
  return { ...rest, text: '', deleted: deletion };
}
