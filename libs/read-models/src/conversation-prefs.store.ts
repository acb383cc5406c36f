import type { CqlClient } from '#libs/cassandra';
import type { UserEvent } from '#libs/events';

/** How one user sees one of their conversations in the list. */
export interface ConversationPrefs {
  readonly archived: boolean;
  readonly pinned: boolean;
  /** Muted (push settings): until then, or `true` for ever. */
  readonly mutedUntil?: Date | true;
}

export interface StarredRef {
  readonly conversationId: string;
  readonly messageId: string;
  readonly starredAt: string;
}

/** Starred messages listed at most (a user's stars are one partition). */
const STARRED_MAX = 1000;

/**
 * A user's archived and pinned conversations and starred messages (tables conversation_prefs,
 * starred_messages, migration 016), written from the USERS stream with the event's stream sequence as
 * the write time, so a late or repeated event never undoes a newer one; and the mutes the push settings
 * keep (conversation_mutes), which the list shows.
 */
export class ConversationPrefsStore {
  constructor(private readonly cql: CqlClient) {}

  async apply(event: UserEvent, streamSeq: number, occurredAt: Date): Promise<void> {
    switch (event.type) {
      case 'ConversationArchived':
        await this.cql.execute(
          'UPDATE conversation_prefs USING TIMESTAMP ? SET archived = ? WHERE user_id = ? AND conversation_id = ?',
          [streamSeq, event.data.archived, event.data.userId, event.data.conversationId],
        );
        return;
      case 'ConversationPinned':
        await this.cql.execute(
          'UPDATE conversation_prefs USING TIMESTAMP ? SET pinned = ? WHERE user_id = ? AND conversation_id = ?',
          [streamSeq, event.data.pinned, event.data.userId, event.data.conversationId],
        );
        return;
      case 'MessageStarred': {
        const { userId, conversationId, messageId, starred } = event.data;
        if (starred)
          await this.cql.execute(
            'INSERT INTO starred_messages (user_id, conversation_id, message_id, starred_at) VALUES (?, ?, ?, ?) USING TIMESTAMP ?',
            [userId, conversationId, messageId, occurredAt, streamSeq],
          );
        else
          await this.cql.execute(
            'DELETE FROM starred_messages USING TIMESTAMP ? WHERE user_id = ? AND conversation_id = ? AND message_id = ?',
            [streamSeq, userId, conversationId, messageId],
          );
        return;
      }
      default:
        return; // not a preference
    }
  }

  /** The user's preferences per conversation (only conversations with any). */
  async of(userId: string, now: Date): Promise<Map<string, ConversationPrefs>> {
    const [prefs, mutes] = await Promise.all([
      this.cql.execute('SELECT conversation_id, archived, pinned FROM conversation_prefs WHERE user_id = ?', [
        userId,
      ]),
      this.cql.execute('SELECT conversation_id, muted_until FROM conversation_mutes WHERE user_id = ?', [
        userId,
      ]),
    ]);
    const out = new Map<string, ConversationPrefs>();
    const at = (id: string): ConversationPrefs => out.get(id) ?? { archived: false, pinned: false };
    for (const r of prefs.rows) {
      const id = r.get('conversation_id') as string;
      out.set(id, { ...at(id), archived: r.get('archived') === true, pinned: r.get('pinned') === true });
    }
    for (const r of mutes.rows) {
      const id = r.get('conversation_id') as string;
      const until = r.get('muted_until') as Date | null;
      if (until && until.getTime() <= now.getTime()) continue; // the mute ran out
      out.set(id, { ...at(id), mutedUntil: until ?? true });
    }
    return out;
  }

  /** The user's starred messages, most recently starred first. */
  async starred(userId: string): Promise<StarredRef[]> {
    const rs = await this.cql.execute(
      'SELECT conversation_id, message_id, starred_at FROM starred_messages WHERE user_id = ? LIMIT ?',
      [userId, STARRED_MAX],
    );
    return rs.rows
      .map((r) => ({
        conversationId: r.get('conversation_id') as string,
        messageId: String(r.get('message_id')),
        starredAt: (r.get('starred_at') as Date).toISOString(),
      }))
      .sort((a, b) => (a.starredAt < b.starredAt ? 1 : a.starredAt > b.starredAt ? -1 : 0));
  }
}
