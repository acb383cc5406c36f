import {
  parseConversationSubject,
  type ChatEvent,
  type ConversationEvent,
  type PersonalDataVault,
  type SubjectSpace,
} from '#libs/events';
import type { StoredMessage } from '#libs/nats';
import type { ConversationProjection, DirectConversationFold, StatementSink } from '#libs/projections';

/**
 * The first pass of a rebuild, into empty tables: direct conversations are folded in memory and written
 * in bulk (DirectConversationFold); a conversation the fold does not take (a group, an event it does not
 * fold) goes through the projection from that event on, after the fold wrote its rows so far.
 */
export class BulkConversationsApply {
  /** Conversations applied through the projection for the rest of the pass. */
  private readonly delegated = new Set<string>();
  private readonly foldedIds = new Set<string>();

  constructor(
    private readonly space: SubjectSpace,
    private readonly fold: DirectConversationFold,
    private readonly sink: StatementSink,
    private readonly projection: ConversationProjection,
    private readonly vault: PersonalDataVault<ChatEvent>,
  ) {}

  /** Conversations folded, and conversations applied event by event. */
  get counts(): { folded: number; perEvent: number } {
    return { folded: this.foldedIds.size, perEvent: this.delegated.size };
  }

  /** Applies one event; `quoted` is the other conversation a message quotes, if any. */
  async handle(m: StoredMessage, quoted: string | undefined): Promise<void> {
    const where = parseConversationSubject(this.space, m.subject);
    if (where && !this.delegated.has(where.conversationId)) {
      const event = (await this.vault.decode(m.data)) as ConversationEvent;
      if (await this.fold.apply(where.conversationId, where.kind, m.seq, event)) {
        this.foldedIds.add(where.conversationId);
        return;
      }
      await this.fold.release(where.conversationId);
      this.delegated.add(where.conversationId);
    }
    // The projection resolves a quote from the quoted conversation's timeline: write what is queued.
    if (quoted !== undefined && this.fold.holds(quoted)) await this.sink.flush();
    await this.projection.handle(m);
  }

  /** Writes the folded conversations' final rows: the pass is complete once this resolves. */
  finish(): Promise<void> {
    return this.fold.finish();
  }
}
