import type { ConversationStore, ReceiptStore, TimelineStore } from '#libs/read-models';

const DELIVERED_CACHE = 20_000;
const READ_CACHE = 2_000;
/** How far back a read marker is searched for messages that became read by all. */
const READ_WINDOW = 200;

/** A Map that forgets its oldest entry beyond a size. */
class Bounded<K, V> extends Map<K, V> {
  constructor(private readonly limit: number) {
    super();
  }
  override set(key: K, value: V): this {
    if (!this.has(key) && this.size >= this.limit) this.delete(this.keys().next().value as K);
    return super.set(key, value);
  }
}

/**
 * Aggregate receipts of groups: "delivered to all" once every current member but the sender holds a
 * message on a device, "read by all" once every other member has read up to it. Receipts of one
 * conversation are applied one at a time (their own lane), so the in-memory sets here have a single
 * writer per conversation; on a miss they are loaded from the tables, so a restart loses nothing.
 * A receipt is emitted when this member's receipt is the one that completes the set, so a replay
 * after a crash may emit it again (same entry id: the client drops it), never lose it.
 */
export class GroupReceipts {
  private readonly delivered = new Bounded<string, Set<string>>(DELIVERED_CACHE);
  private readonly reads = new Bounded<string, Map<string, number>>(READ_CACHE);

  constructor(
    private readonly receipts: ReceiptStore,
    private readonly conversations: ConversationStore,
    private readonly timeline: TimelineStore,
  ) {}

  /** Messages (by sender) that this member's delivery completed. Call after the status rows are written. */
  async deliveredToAll(
    conversationId: string,
    members: readonly string[],
    userId: string,
    messages: ReadonlyArray<{ id: string; senderUserId: string }>,
  ): Promise<Map<string, string[]>> {
    const done = new Map<string, string[]>();
    for (const m of messages) {
      const key = `${conversationId}/${m.id}`;
      let have = this.delivered.get(key);
      if (!have) {
        const rows = await this.receipts.status(conversationId, m.id);
        have = new Set(rows.filter((r) => r.deliveredAt).map((r) => r.userId));
        this.delivered.set(key, have);
      }
      const need = members.filter((u) => u !== m.senderUserId);
      const before = need.every((u) => u !== userId && have.has(u));
      have.add(userId);
      if (!before && need.every((u) => have.has(u)))
        done.set(m.senderUserId, [...(done.get(m.senderUserId) ?? []), m.id]);
    }
    return done;
  }

  /** A sender read their own conversation up to the message they sent (the message lane tells us). */
  noteSent(conversationId: string, senderUserId: string, seq: number): void {
    const marks = this.reads.get(conversationId);
    if (marks && (marks.get(senderUserId) ?? 0) < seq) marks.set(senderUserId, seq);
  }

  /**
   * The reader moved their marker to `seq`: for each sender whose messages became read by every other
   * member, the latest such message (read receipts are "up to", so it covers the earlier ones).
   */
  async readByAll(
    conversationId: string,
    members: readonly string[],
    readerUserId: string,
    seq: number,
  ): Promise<Map<string, string>> {
    let marks = this.reads.get(conversationId);
    if (!marks) {
      marks = await this.conversations.readMarks(conversationId, members);
      this.reads.set(conversationId, marks);
    }
    const missing = members.filter((u) => !marks.has(u));
    if (missing.length > 0)
      for (const [u, s] of await this.conversations.readMarks(conversationId, missing)) marks.set(u, s);
    const previous = marks.get(readerUserId) ?? 0;
    if (seq <= previous) return new Map();
    marks.set(readerUserId, seq);
    const from = Math.max(previous, seq - READ_WINDOW);
    const page = await this.timeline.page(conversationId, {
      afterSeq: from,
      limit: seq - from,
      lastSeq: seq,
    });
    const out = new Map<string, string>();
    for (const m of page) {
      if (m.seq > seq || m.system || m.senderUserId === readerUserId) continue;
      const others = members.filter((u) => u !== m.senderUserId);
      if (others.every((u) => (marks.get(u) ?? 0) >= m.seq)) out.set(m.senderUserId, m.messageId);
    }
    return out;
  }
}
