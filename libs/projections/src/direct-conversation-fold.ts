import type { RetentionConfig } from '#libs/config';
import type { ConversationEvent, MessageDelivered, MessageRead, MessageSent } from '#libs/events';
import type { HistoryMessage } from '#libs/protocol';
import type {
  ConversationRow,
  ConversationStore,
  KeyedStatement,
  MessageRef,
  ReceiptStore,
  TimelineStore,
} from '#libs/read-models';
import { historyMessageOf, quotedMessageOf } from './conversation.projection.js';

/** Where folded rows go: a bulk writer that batches them by partition. */
export interface StatementSink {
  /** Queues statements; returns a promise only when the caller should wait for room. */
  write(statements: readonly KeyedStatement[]): Promise<void> | undefined;
  /** Sends everything queued and waits until it is written. */
  flush(): Promise<void>;
}

/** A direct conversation as folded so far: its row, where its messages sit, and its final per-user values. */
interface Folded {
  row: ConversationRow;
  readonly refs: Map<string, MessageRef>;
  last?: { message: HistoryMessage; occurredAt: string; withheld: readonly string[] };
  /** Read marker per user (sending moves the sender's): written once, as the highest. */
  readonly readUpTo: Map<string, number>;
  readonly mentioned: Map<string, number>;
}

/**
 * The conversation projection of a rebuild into empty tables, folded in memory for direct conversations:
 * it computes the rows ConversationProjection writes (timelines, conversation row, lists, contacts,
 * receipts, read markers) without reading anything back, and hands them to a bulk writer. Rows written
 * once per message go out as the log is read; rows the projection rewrites per message (the
 * conversation's position, each member's list entry) are written once with their final values. It
 * folds only what a rebuild makes pure row writes: with no delivery, a direct conversation's events are
 * that. Groups (membership, system messages, receipt aggregates) are answered `false`, and the caller
 * applies them through the projection itself. Events of a conversation must come in stream order.
 */
export class DirectConversationFold {
  private readonly folded = new Map<string, Folded>();
  private readonly contacts = new Set<string>();

  constructor(
    private readonly conversations: ConversationStore,
    private readonly timeline: TimelineStore,
    private readonly receipts: ReceiptStore,
    private readonly sink: StatementSink,
    private readonly retention: Readonly<RetentionConfig>,
  ) {}

  holds(conversationId: string): boolean {
    return this.folded.has(conversationId);
  }

  /**
   * Folds one event of a conversation at stream sequence `streamSeq`; false when it is not the fold's
   * to apply (a group, a conversation it did not see created): then release the conversation and apply
   * this event and the conversation's later ones through the projection.
   */
  async apply(
    conversationId: string,
    kind: 'meta' | 'msg' | 'rcpt',
    streamSeq: number,
    event: ConversationEvent,
  ): Promise<boolean> {
    const state = this.folded.get(conversationId);
    // applied_sequence is the meta/message lane's position, as in the projection.
    if (state && kind !== 'rcpt' && streamSeq <= state.row.appliedSequence) return true;
    switch (event.type) {
      case 'ConversationCreated': {
        if (state) return true; // created already: the projection changes nothing either
        if (event.data.kind !== 'direct') return false;
        const row: ConversationRow = {
          conversationId: event.data.conversationId,
          kind: 'direct',
          members: event.data.members.map((m) => m.userId),
          lastMessageSeq: 0,
          appliedSequence: streamSeq,
        };
        this.folded.set(conversationId, {
          row,
          refs: new Map(),
          readUpTo: new Map(),
          mentioned: new Map(),
        });
        await this.write(
          await this.conversations.createStatements(row, event.data.createdBy, new Date(event.occurredAt)),
        );
        return true;
      }
      case 'MessageSent':
        if (!state) return false;
        await this.messageSent(state, event, streamSeq);
        return true;
      case 'MessageDelivered':
        if (!state) return false;
        await this.delivered(state, event);
        return true;
      case 'MessageRead':
        if (!state) return false;
        await this.read(state, event);
        return true;
      default:
        return false; // group changes: the projection's
    }
  }

  /**
   * Writes a conversation's final rows and forgets it: what follows of it goes through the projection,
   * which then finds its rows as stored.
   */
  async release(conversationId: string): Promise<void> {
    const state = this.folded.get(conversationId);
    if (!state) return;
    // The final values overwrite the creation rows: they must land after them (batches of one client
    // carry increasing timestamps, statements of one batch the same one).
    await this.sink.flush();
    await this.write(await this.finalRows(state));
    await this.sink.flush();
    this.folded.delete(conversationId);
  }

  /** Writes every folded conversation's final rows; call after the range is read. */
  async finish(): Promise<void> {
    await this.sink.flush();
    for (const state of this.folded.values()) await this.write(await this.finalRows(state));
    await this.sink.flush();
    this.folded.clear();
    this.contacts.clear();
  }

  private async write(statements: readonly KeyedStatement[]): Promise<void> {
    await this.sink.write(statements);
  }

  /** As ConversationProjection.ttlOf: what is left of the transient window for content of that time. */
  private ttlOf(occurredAt: string): number | undefined {
    if (this.retention.RETENTION_MODE !== 'transient') return undefined;
    const age = (Date.now() - new Date(occurredAt).getTime()) / 1000;
    return Math.max(1, Math.floor(this.retention.RETENTION_WINDOW_SECONDS - Math.max(0, age)));
  }

  /** Where a message sits: in memory for a folded conversation, else as stored (applied by the projection). */
  private async refOf(conversationId: string, messageId: string): Promise<MessageRef | undefined> {
    const state = this.folded.get(conversationId);
    return state ? state.refs.get(messageId) : this.timeline.ref(conversationId, messageId);
  }

  /** ConversationProjection.messagesSent for one direct message, delivering nothing. */
  private async messageSent(state: Folded, event: MessageSent, streamSeq: number): Promise<void> {
    const d = event.data;
    const row = state.row;
    const seq = row.lastMessageSeq + 1;
    const quoted = d.replyToConversationId ?? d.conversationId;
    const quote = d.replyTo
      ? quotedMessageOf(quoted, d.replyTo, await this.refOf(quoted, d.replyTo))
      : undefined;
    const message = historyMessageOf(event, seq, quote);
    const withheld = d.withheldFrom ?? [];
    const statements = await this.timeline.insertStatements(
      message,
      this.ttlOf(event.occurredAt),
      withheld,
      streamSeq,
    );
    state.refs.set(d.messageId, { seq, senderUserId: d.senderUserId });
    for (const peer of row.members) {
      const pair = `${d.senderUserId}/${peer}`;
      if (peer === d.senderUserId || this.contacts.has(pair)) continue;
      this.contacts.add(pair);
      statements.push(await this.conversations.recordContactStatement(d.senderUserId, peer));
    }
    for (const u of d.mentions ?? [])
      if (row.members.includes(u) && u !== d.senderUserId && !withheld.includes(u))
        raise(state.mentioned, u, seq);
    raise(state.readUpTo, d.senderUserId, seq);
    state.last = { message, occurredAt: event.occurredAt, withheld };
    state.row = { ...row, lastMessageSeq: seq, appliedSequence: streamSeq };
    await this.write(statements);
  }

  /** ConversationProjection.delivered in a direct conversation: the status rows (no receipt is delivered). */
  private async delivered(state: Folded, event: MessageDelivered): Promise<void> {
    const d = event.data;
    const at = new Date(d.deliveredAt);
    const seen = new Set<string>();
    const statements: KeyedStatement[] = [];
    for (const x of d.deliveries)
      for (const id of x.messageIds) {
        const ref = state.refs.get(id);
        const key = `${id}/${x.userId}`;
        if (!ref || ref.senderUserId === x.userId || seen.has(key)) continue; // unknown, or one's own
        seen.add(key);
        statements.push(await this.receipts.deliveredStatement(d.conversationId, id, x.userId, at));
      }
    await this.write(statements);
  }

  /** ConversationProjection.read: the reader's marker, the message's read time, the read marker row. */
  private async read(state: Folded, event: MessageRead): Promise<void> {
    const d = event.data;
    const ref = state.refs.get(d.upToMessageId);
    if (!ref) return;
    const at = new Date(d.readAt);
    raise(state.readUpTo, d.userId, ref.seq);
    await this.write([
      await this.receipts.readStatement(d.conversationId, d.upToMessageId, d.userId, at),
      await this.receipts.readMarkerStatement(d.conversationId, d.userId, ref.seq, at),
    ]);
  }

  /** The rows the projection rewrites per message, with their last values. */
  private async finalRows(state: Folded): Promise<KeyedStatement[]> {
    const { row, last } = state;
    const out: KeyedStatement[] = [];
    if (last) {
      out.push(
        await this.conversations.advanceStatement(
          row.conversationId,
          row.appliedSequence,
          row.lastMessageSeq,
          new Date(last.message.sentAt),
        ),
        ...(await this.conversations.recordMessageStatements(
          row.members.filter((u) => !last.withheld.includes(u)),
          last.message,
          this.ttlOf(last.occurredAt),
        )),
      );
    }
    for (const [userId, seq] of state.readUpTo)
      out.push(await this.conversations.markReadStatement(userId, row.conversationId, seq));
    for (const [userId, seq] of state.mentioned)
      out.push(await this.conversations.recordMentionStatement(userId, row.conversationId, seq));
    return out;
  }
}

function raise(marks: Map<string, number>, userId: string, seq: number): void {
  if ((marks.get(userId) ?? 0) < seq) marks.set(userId, seq);
}
