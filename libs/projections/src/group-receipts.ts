import type { ConversationStore, GroupAggregateStore, ReceiptStore, TimelineStore } from '#libs/read-models';
import { BoundedMap } from '#libs/platform';

const DELIVERED_CACHE = 20_000;
const READ_CACHE = 2_000;
const UNCHECKED_MAX = 100_000;
/** How far below a sender's new "read by all" limit its latest message is searched. */
const READ_WINDOW = 200;

/** A message's "delivered to all": the members holding it, and whether the aggregate went out. */
interface DeliveredSet {
  readonly have: Set<string>;
  sent: boolean;
}

/** A group's read markers (moved by reads and by sending) and, per sender, how far "read by all" went out. */
interface ReadState {
  readonly marks: Map<string, number>;
  /** The device that last moved each member's marker, for the receipt it completes. */
  readonly movedBy: Map<string, string>;
  readonly sentUpTo: Map<string, number>;
}

/** A "read by all" aggregate to send to `senderUserId`: up to its message `messageId`. */
export interface ReadAggregate {
  readonly senderUserId: string;
  readonly messageId: string;
  /** The member whose marker completed it (the slowest reader), and their device if known. */
  readonly userId: string;
  readonly deviceId?: string;
}

/** Aggregates to send now, and what to record once they are out. */
export interface Aggregates<T> {
  readonly send: T;
  /** Records them as sent; call after delivering (a crash in between sends them again, never loses them). */
  readonly commit: () => Promise<void>;
  /**
   * The delivery failed and the event will be handled again: forgets what this computation marked as
   * sent in memory, so the retry computes it again from durable state instead of finding it sent.
   */
  readonly abandon: () => void;
}

const nothing = (): Promise<void> => Promise.resolve();
const none = <T>(send: T): Aggregates<T> => ({ send, commit: nothing, abandon: () => undefined });

/**
 * Aggregate receipts of groups, exact from durable state: "delivered to all" once every current member
 * but the sender holds a message on a device, "read by all" once every other member's read marker
 * (moved by reading or by sending) reached it. What went out is recorded (GroupAggregateStore), so a
 * restart, a cache miss or a new read-model version neither repeats nor loses one; the state of a
 * conversation is changed only synchronously (delivered sets) or one event at a time (read state), so
 * concurrent receipt lanes cannot both send the same aggregate. Without a ledger (a rebuild, which
 * delivers nothing) it computes nothing.
 */
export class GroupReceipts {
  private readonly delivered = new BoundedMap<string, DeliveredSet>(DELIVERED_CACHE);
  private readonly loading = new Map<string, Promise<DeliveredSet>>();
  private readonly reads = new BoundedMap<string, ReadState>(READ_CACHE);
  /** Read-state work of one conversation, one at a time: it reads and moves markers across awaits. */
  private readonly readChains = new Map<string, Promise<unknown>>();
  /**
   * Conversations where a member's sending moved a marker while their read state was not loaded: the
   * next receipt loads it and checks. Elsewhere a receipt with no marker of its own loads nothing.
   */
  private readonly unchecked = new Set<string>();

  constructor(
    private readonly receipts: ReceiptStore,
    private readonly conversations: ConversationStore,
    private readonly timeline: TimelineStore,
    private readonly ledger?: GroupAggregateStore,
  ) {}

  /** Messages (by sender) that this member's delivery completed. Call after the status rows are written. */
  async deliveredToAll(
    conversationId: string,
    members: readonly string[],
    userId: string,
    messages: ReadonlyArray<{ id: string; senderUserId: string }>,
  ): Promise<Aggregates<Map<string, string[]>>> {
    const done = new Map<string, string[]>();
    if (!this.ledger || !members.includes(userId)) return none(done);
    const completed: string[] = [];
    // The members' status rows are durable (written before this call): a reload is exact.
    const abandon = (): void => {
      for (const id of completed) this.delivered.delete(`${conversationId}/${id}`);
    };
    try {
      for (const m of messages) {
        if (m.senderUserId === userId) continue;
        const key = `${conversationId}/${m.id}`;
        const set = this.delivered.get(key) ?? (await this.loadDelivered(conversationId, m.id, key));
        set.have.add(userId);
        if (set.sent) continue;
        // The full check only once enough members have it: it runs for the last receipts of a large group.
        const need = members.length - (members.includes(m.senderUserId) ? 1 : 0);
        if (set.have.size >= need && members.every((u) => u === m.senderUserId || set.have.has(u))) {
          set.sent = true; // synchronously: a concurrent lane sees it at once
          completed.push(m.id);
          done.set(m.senderUserId, [...(done.get(m.senderUserId) ?? []), m.id]);
        }
      }
    } catch (err) {
      // A later message's load failed after earlier ones were marked sent: the caller never gets them
      // to deliver or abandon, and the retry would find them sent.
      abandon();
      throw err;
    }
    const ledger = this.ledger;
    if (completed.length === 0) return none(done);
    return {
      send: done,
      commit: () => ledger.markDeliveredSent(conversationId, completed),
      abandon,
    };
  }

  /** One load per message even when several receipt lanes miss it at once: each adds itself after it. */
  private loadDelivered(conversationId: string, messageId: string, key: string): Promise<DeliveredSet> {
    let pending = this.loading.get(key);
    if (!pending) {
      pending = Promise.all([
        this.receipts.status(conversationId, messageId),
        this.ledger!.deliveredSent(conversationId, messageId),
      ]).then(([rows, sent]) => {
        const set: DeliveredSet = {
          have: new Set(rows.filter((r) => r.deliveredAt).map((r) => r.userId)),
          sent,
        };
        this.delivered.set(key, set);
        return set;
      });
      this.loading.set(key, pending);
      void pending.then(
        () => this.loading.delete(key),
        () => this.loading.delete(key),
      );
    }
    return pending;
  }

  /**
   * A member's read marker moved to `seq` (they read, or sent: sending implies having read what came
   * before). Call after the durable marker is written. With `deliverNow`, returns the "read by all"
   * aggregates now due, except to the users in `busy` (who get another entry at this log position: one
   * entry per position and device); those wait for the conversation's next receipt. Without it, only
   * moves the marker (a MessageSent: every member gets the message at its position), and only in memory
   * already loaded: a large group's message never waits for its members' markers to be read.
   */
  markerMoved(
    conversationId: string,
    members: readonly string[],
    move: { userId: string; deviceId: string; seq: number } | undefined,
    busy: ReadonlySet<string>,
    deliverNow: boolean,
  ): Promise<Aggregates<ReadAggregate[]>> {
    if (!this.ledger) return Promise.resolve(none([]));
    const run = (this.readChains.get(conversationId) ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => this.markerMovedNow(conversationId, members, move, busy, deliverNow));
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

  private async readState(conversationId: string, members: readonly string[]): Promise<ReadState> {
    let state = this.reads.get(conversationId);
    if (!state) {
      const [marks, sentUpTo] = await Promise.all([
        this.conversations.readMarks(conversationId, members),
        this.ledger!.readUpTo(conversationId),
      ]);
      state = { marks, movedBy: new Map(), sentUpTo };
      this.reads.set(conversationId, state);
    }
    const missing = members.filter((u) => !state.marks.has(u));
    if (missing.length > 0)
      for (const [u, s] of await this.conversations.readMarks(conversationId, missing)) state.marks.set(u, s);
    return state;
  }

  private async markerMovedNow(
    conversationId: string,
    members: readonly string[],
    move: { userId: string; deviceId: string; seq: number } | undefined,
    busy: ReadonlySet<string>,
    deliverNow: boolean,
  ): Promise<Aggregates<ReadAggregate[]>> {
    const cached = this.reads.has(conversationId);
    if (!cached && !deliverNow) {
      this.unchecked.add(conversationId); // the marker is durable: a later load reads it
      // Bounded: a check dropped here happens at the group's next read or next message instead.
      if (this.unchecked.size > UNCHECKED_MAX)
        this.unchecked.delete(this.unchecked.values().next().value as string);
      return none([]);
    }
    if (!cached && !move && !this.unchecked.has(conversationId)) return none([]);
    const state = await this.readState(conversationId, members);
    this.unchecked.delete(conversationId);
    if (move && (state.marks.get(move.userId) ?? 0) <= move.seq) {
      state.marks.set(move.userId, move.seq);
      state.movedBy.set(move.userId, move.deviceId);
    }
    if (!deliverNow) return none([]);
    // Each sender's limit is the lowest marker of the others: the lowest two are all it takes (O(n)).
    let first = { u: '', seq: Infinity };
    let second = { u: '', seq: Infinity };
    for (const u of members) {
      const seq = state.marks.get(u) ?? 0;
      if (seq < first.seq) [first, second] = [{ u, seq }, first];
      else if (seq < second.seq) second = { u, seq };
    }
    const due = members.flatMap((sender) => {
      if (busy.has(sender) || members.length < 2) return [];
      const slowest = first.u === sender ? second : first;
      const after = state.sentUpTo.get(sender) ?? 0;
      return slowest.seq > after ? [{ sender, slowest, after }] : [];
    });
    const out: ReadAggregate[] = [];
    const raised = new Map<string, number>();
    if (due.length === 0) return none(out);
    // One page covers every sender due: their limits are the lowest or the second lowest marker.
    const hi = Math.max(...due.map((d) => d.slowest.seq));
    const lo = Math.max(Math.min(...due.map((d) => d.after)), hi - READ_WINDOW);
    const page = await this.timeline.page(conversationId, { afterSeq: lo, limit: hi - lo, lastSeq: hi });
    for (const { sender, slowest, after } of due) {
      const latest = page
        .filter((m) => m.seq > after && m.seq <= slowest.seq && !m.system && m.senderUserId === sender)
        .at(-1);
      // Raised in memory for every sender; recorded only where an aggregate goes out (elsewhere there
      // was nothing to send, and a reload finds nothing to send again).
      state.sentUpTo.set(sender, slowest.seq);
      if (!latest) continue;
      raised.set(sender, slowest.seq);
      const deviceId = state.movedBy.get(slowest.u);
      out.push({
        senderUserId: sender,
        messageId: latest.messageId,
        userId: slowest.u,
        ...(deviceId ? { deviceId } : {}),
      });
    }
    const ledger = this.ledger!;
    return {
      send: out,
      commit: raised.size > 0 ? () => ledger.saveReadUpTo(conversationId, raised) : nothing,
      // `sentUpTo` reloads as recorded, so the next receipt (marked unchecked, so it loads the state
      // even without a marker of its own) finds these aggregates due again.
      abandon: () => {
        if (this.reads.get(conversationId) === state) this.reads.delete(conversationId);
        this.unchecked.add(conversationId);
      },
    };
  }
}

/**
 * Delivers aggregates, then records them as sent. `aggregates` may be filled by `deliver` as it computes
 * them. When the delivery fails (the event is handled again later), forgets them in memory first, so the
 * retry computes them again instead of finding them sent.
 */
export async function settleAggregates(
  aggregates: ReadonlyArray<Aggregates<unknown>>,
  deliver: () => Promise<unknown>,
): Promise<void> {
  try {
    await deliver();
  } catch (err) {
    for (const a of aggregates) a.abandon();
    throw err;
  }
  await Promise.all(aggregates.map((a) => a.commit()));
}
