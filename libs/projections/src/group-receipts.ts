import type { ConversationStore, ReceiptStore, TimelineStore } from '#libs/read-models';
import { BoundedMap } from './bounded-map.js';

const DELIVERED_CACHE = 20_000;
const READ_CACHE = 2_000;
/** How far back a read marker is searched for messages that became read by all. */
const READ_WINDOW = 200;

/**
 * Aggregate receipts of groups: "delivered to all" once every current member but the sender holds a
 * message on a device, "read by all" once every other member has read up to it. Receipts of one
 * conversation run in several lanes at once; the in-memory sets here stay exact because a set is
 * loaded once and then changed only synchronously, and read marks move one reader at a time. On a miss
 * they are loaded from the tables, so a restart loses nothing.
 * A receipt is emitted when this member's receipt is the one that completes the set, so a replay
 * after a crash may emit it again (same entry id: the client drops it), never lose it.
 */
export class GroupReceipts {
  private readonly delivered = new BoundedMap<string, Set<string>>(DELIVERED_CACHE);
  private readonly reads = new BoundedMap<string, Map<string, number>>(READ_CACHE);
  private readonly loading = new Map<string, Promise<Set<string>>>();
  /** readByAll of one conversation, one at a time: its marks are read and moved across awaits. */
  private readonly readChains = new Map<string, Promise<unknown>>();

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
      // Loaded from the table by this call, the set already holds this member's row (written before).
      const loaded = !have && !this.loading.has(key);
      have ??= await this.loadDelivered(conversationId, m.id, key);
      // Only a member's first delivery can complete the set, and only once enough members have it: the
      // full check then runs for the last few receipts of a large group, not for each of a thousand.
      const completes =
        userId !== m.senderUserId && (loaded || !have.has(userId)) && members.includes(userId);
      have.add(userId);
      if (!completes) continue;
      const need = members.length - (members.includes(m.senderUserId) ? 1 : 0);
      if (have.size >= need && members.every((u) => u === m.senderUserId || have.has(u)))
        done.set(m.senderUserId, [...(done.get(m.senderUserId) ?? []), m.id]);
    }
    return done;
  }

  /** One load per message even when several receipt lanes miss it at once: each adds itself after it. */
  private loadDelivered(conversationId: string, messageId: string, key: string): Promise<Set<string>> {
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.receipts.status(conversationId, messageId).then((rows) => {
        const have = new Set(rows.filter((r) => r.deliveredAt).map((r) => r.userId));
        this.delivered.set(key, have);
        return have;
      });
      this.loading.set(key, pending);
      void pending.then(
        () => this.loading.delete(key),
        () => this.loading.delete(key),
      );
    }
    return pending;
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
  readByAll(
    conversationId: string,
    members: readonly string[],
    readerUserId: string,
    seq: number,
  ): Promise<Map<string, string>> {
    const run = (this.readChains.get(conversationId) ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => this.readByAllNow(conversationId, members, readerUserId, seq));
    this.readChains.set(conversationId, run);
    void run.then(
      () => this.forgetChain(conversationId, run),
      () => this.forgetChain(conversationId, run),
    );
    return run;
  }

  private forgetChain(conversationId: string, run: Promise<unknown>): void {
    if (this.readChains.get(conversationId) === run) this.readChains.delete(conversationId);
  }

  private async readByAllNow(
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
