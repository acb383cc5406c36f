import type { Logger } from 'pino';
import type { RetentionConfig } from '#libs/config';
import {
  conversationSubject,
  parseCoordinates,
  PersonalDataVault,
  type ChatEvent,
  parseConversationSubject,
  type ConversationEvent,
  type MessageDelivered,
  type MessageRead,
  type MessageSent,
} from '#libs/events';
import { NatsClient, partitionStreamName, type StoredMessage } from '#libs/nats';
import { BoundedMap, type MetricsService } from '#libs/platform';
import {
  forwardMarks,
  type HistoryMessage,
  type LocationView,
  type MediaReference,
  type QuotedMessage,
} from '#libs/protocol';
import type {
  ConversationStore,
  ReceiptStore,
  TimelineStore,
  ConversationRow,
  LogPosition,
  MessageRef,
} from '#libs/read-models';
import { ContactRelations } from './contact-relations.js';
import type { ConversationFanOut, PublishedEntry } from './conversation-fan-out.js';
import type { GroupProjection } from './group.projection.js';
import { settleAggregates, type Aggregates, type GroupReceipts } from './group-receipts.js';
import type { MediaContent, MediaLinks } from './media-links.js';
import type { MessageActionsProjection } from './message-actions.projection.js';
import { e2eMarkerOf, messagePayload } from './e2e-payload.js';

/** Conversations whose row this process holds (it is their single writer). */
const ROWS_MAX = 100_000;
/** Recent messages' sender and seq: a 1024-member group's message brings ~1,000 receipts naming it. */
const MESSAGE_REFS_MAX = 50_000;
/** Messages published ahead of their wave (see prepare), at most: far more than a lane holds. */
const EARLY_MAX = 50_000;
/** Receipt lanes per conversation (see keyOf). */
const RECEIPT_LANES = 16;

/**
 * Builds timelines, inboxes, receipts and conversation lists from a CHAT_<p> stream. It is the single
 * writer of each conversation it owns and applies its events in stream order; `applied_sequence` makes
 * a redelivered event change nothing twice, and the per-conversation message sequence it assigns is
 * derived from the log alone, so a rebuild assigns the same numbers. Its stores are pinned to one
 * version of the read model (conversationProjectionAt builds one per version).
 */
export class ConversationProjection {
  private readonly applied;
  /**
   * The rows of conversations this process has caught up, kept current as it applies their events: it
   * is their single writer, so after the first load (and catch-up) nothing needs reading again until a
   * redelivery, which may mean another process wrote meanwhile. Insertion order doubles as an LRU.
   */
  private readonly rows = new BoundedMap<string, ConversationRow>(ROWS_MAX);
  /** `conversationId/messageId` -> where the message sits; set once applied, and a message never moves. */
  private readonly refs = new BoundedMap<string, MessageRef>(MESSAGE_REFS_MAX);
  /**
   * Per conversation, its row as it will be once every event pulled so far is applied: set while each
   * of them was published ahead (see prepare), dropped at anything else.
   */
  private readonly heads = new Map<string, ConversationRow>();
  /** Messages published ahead of their wave, by log position: the wave writes what went out. */
  private readonly early = new BoundedMap<string, Published>(EARLY_MAX);
  private readonly contacts: ContactRelations;

  constructor(
    private readonly nats: NatsClient,
    private readonly conversations: ConversationStore,
    private readonly timeline: TimelineStore,
    private readonly receipts: ReceiptStore,
    private readonly fanOut: ConversationFanOut,
    private readonly mediaLinks: MediaLinks,
    private readonly groups: GroupProjection,
    private readonly groupReceipts: GroupReceipts,
    private readonly vault: PersonalDataVault<ChatEvent>,
    private readonly retention: Readonly<RetentionConfig>,
    private readonly logger: Logger,
    metrics: MetricsService,
    /** What members do to sent messages (issue 19: edits, deletions, reactions), in the messages' stream order. */
    private readonly messageActions: MessageActionsProjection,
  ) {
    this.contacts = new ContactRelations(conversations);
    this.applied = metrics.counter('chat_projector_events_applied_total', 'Events applied by the projector', [
      'projection',
      'type',
    ]);
  }

  /**
   * Receipts of a conversation run in lanes of their own, beside its meta and messages, several at once:
   * a 1024-member group brings a thousand MessageDelivered per message, and neither the next message
   * nor the sender's ticks may queue behind them one by one. A receipt only names messages its device
   * received, i.e. already projected, and every receipt write is idempotent and order-free on its own
   * (USING TIMESTAMP of the event, "read up to" as a maximum), so receipts need neither the stream
   * order nor applied_sequence; GroupReceipts keeps its aggregates exact across lanes.
   */
  keyOf(msg: StoredMessage): string {
    const where = parseConversationSubject(this.nats.topology, msg.subject);
    if (!where) return msg.subject;
    return where.kind === 'rcpt'
      ? `${where.conversationId}.rcpt.${msg.seq % RECEIPT_LANES}`
      : where.conversationId;
  }

  /**
   * A receipt waits for the meta and message events of its conversation that came before it in the log:
   * live they are long applied, but in a replay the receipt lanes would run ahead of the messages they
   * name (and find no message to mark).
   */
  afterKeyOf(msg: StoredMessage): string | undefined {
    const where = parseConversationSubject(this.nats.topology, msg.subject);
    return where?.kind === 'rcpt' ? where.conversationId : undefined;
  }

  /**
   * In transient mode, what is left of the window for content that entered the log at `occurredAt`:
   * a lagging projector or a rebuild must not give old content a fresh window (at least 1 s, so
   * content already past it disappears at once).
   */
  private ttlOf(occurredAt: string): number | undefined {
    if (this.retention.RETENTION_MODE !== 'transient') return undefined;
    const age = (Date.now() - new Date(occurredAt).getTime()) / 1000;
    return Math.max(1, Math.floor(this.retention.RETENTION_WINDOW_SECONDS - Math.max(0, age)));
  }

  async handle(msg: StoredMessage): Promise<void> {
    const where = parseConversationSubject(this.nats.topology, msg.subject);
    if (!where) throw new Error(`not a conversation subject: ${msg.subject}`);
    // Receipts need no order (see keyOf); meta and messages must be applied in stream order.
    if (where.kind !== 'rcpt' && (msg.redelivered === true || !this.rows.has(where.conversationId))) {
      this.rows.delete(where.conversationId);
      await this.catchUp(where.partition, where.conversationId, msg.seq);
    }
    try {
      await this.apply(msg.subject, msg.seq, msg.data);
    } catch (err) {
      // What failed may be half written: the retry starts from the rows as stored.
      if (where.kind !== 'rcpt') this.forget(where.conversationId);
      throw err;
    }
  }

  /**
   * The delivery reactor's head start (DurableConsumer's prepare): a message is given its seq and
   * published live as soon as it is pulled, while the waves of earlier ones are still being written, so
   * a busy conversation's next message never waits for the database. It starts from the head left by
   * the previous message's head start, or, once the lane caught up, from the held row; anything else
   * (meta events, redeliveries, a row not loaded) gets none, and the next one waits until it is applied.
   * The seq is a function of the log, so the wave, or a retry, assigns the same one.
   * True when the message went out: a receipt naming it can be applied before its wave is written.
   */
  async prepare(msg: StoredMessage, caughtUp: boolean): Promise<boolean> {
    const where = parseConversationSubject(this.nats.topology, msg.subject);
    if (!where) return false;
    if (where.kind === 'rcpt') return true; // nothing to do ahead, and nothing waits for receipts
    const id = where.conversationId;
    // Caught up: every earlier event is applied, so the held row is where this one starts from.
    const head = caughtUp ? this.rows.get(id) : this.heads.get(id);
    this.heads.delete(id); // until this one is published: a failure below leaves no head
    if (!head || where.kind !== 'msg' || msg.redelivered === true || msg.seq <= head.appliedSequence)
      return false;
    const event = (await this.vault.decode(msg.data)) as ConversationEvent;
    if (event.type !== 'MessageSent') return false;
    await this.fanOut.ready();
    const position: LogPosition = { partition: where.partition, seq: msg.seq };
    const published = await this.publishMessage(head, event, position);
    this.early.set(positionKey(position), published);
    this.heads.set(id, { ...head, lastMessageSeq: published.seq, appliedSequence: msg.seq });
    return true;
  }

  /** Drops what this process holds of a conversation: what comes next starts from the rows as stored. */
  private forget(conversationId: string): void {
    this.rows.delete(conversationId);
    this.heads.delete(conversationId);
  }

  /** The row this process holds for a conversation, if any (what the next event is applied to). */
  held(conversationId: string): ConversationRow | undefined {
    return this.rows.get(conversationId);
  }

  /**
   * Events of one conversation that queued up together (DurableConsumer's handleBatch). A run of
   * messages whose conversation this process holds is folded into one wave and one position update;
   * anything else (meta events, a redelivery, a conversation not loaded yet) is handled one by one.
   */
  async handleBatch(msgs: readonly StoredMessage[]): Promise<void> {
    const where = msgs[0] && parseConversationSubject(this.nats.topology, msgs[0].subject);
    const state = where ? this.rows.get(where.conversationId) : undefined;
    const foldable =
      where?.kind === 'msg' &&
      state &&
      msgs.every((m) => m.subject === msgs[0]!.subject && m.redelivered !== true);
    const events = foldable
      ? await Promise.all(msgs.map(async (m) => (await this.vault.decode(m.data)) as ConversationEvent))
      : [];
    if (!foldable || !state || !events.every((e): e is MessageSent => e.type === 'MessageSent')) {
      for (const m of msgs) await this.handle(m);
      return;
    }
    try {
      await this.messagesSent(
        state,
        events.map((event, i) => ({ event, position: { partition: where.partition, seq: msgs[i]!.seq } })),
      );
    } catch (err) {
      this.forget(where.conversationId); // the events are handled again one by one, from the rows as stored
      throw err;
    }
  }

  /**
   * The conversation's row: held in memory once loaded, updated by every event this process applies.
   * Only the meta/message lane (the writer, one event at a time) keeps what it loads: a receipt lane's
   * read could finish after the writer moved on, and keeping it would bring back an older row.
   */
  private async rowOf(conversationId: string, keep = true): Promise<ConversationRow | undefined> {
    const held = this.rows.fresh(conversationId);
    if (held) return held;
    const row = await this.conversations.get(conversationId);
    if (row && keep) this.hold(row);
    return row;
  }

  private hold(row: ConversationRow): void {
    this.rows.set(row.conversationId, row);
  }

  /** After a change written by others (group changes, creation): the row as stored. */
  private async reload(conversationId: string): Promise<void> {
    this.rows.delete(conversationId);
    await this.rowOf(conversationId);
  }

  /**
   * Applies, from the log itself, the conversation's meta and message events before `beforeSeq` that are
   * not applied yet. A consumer delivers in stream order except around redeliveries: after a crash, the
   * events the dead process had pulled come back only after ack_wait, while newer ones of the same
   * conversation arrive at once. Without this, applied_sequence would make the late older events look
   * applied and skip them. Checked for each conversation once per process, and for every redelivery.
   */
  private async catchUp(partition: number, conversationId: string, beforeSeq: number): Promise<void> {
    const state = await this.rowOf(conversationId);
    if (!state) return; // nothing precedes a conversation's creation; an orphan is logged by apply
    const { topology, jsm } = this.nats;
    const stream = partitionStreamName(topology, partition);
    // Literal subjects, so the server answers from its per-subject index.
    const subjects = (['meta', 'msg'] as const).map((k) => conversationSubject(topology, conversationId, k));
    for (let from = state.appliedSequence + 1; from < beforeSeq;) {
      const found = await Promise.all(
        subjects.map((s) => jsm.direct.getMessage(stream, { seq: from, next_by_subj: s })),
      );
      const earlier = found
        .filter((m) => m !== null && m !== undefined && m.seq < beforeSeq)
        .sort((a, b) => a!.seq - b!.seq)[0];
      if (!earlier) return;
      this.logger.info({ stream, seq: earlier.seq, beforeSeq }, 'applying an earlier event first');
      await this.apply(earlier.subject, earlier.seq, earlier.data);
      from = earlier.seq + 1;
    }
  }

  private async apply(subject: string, streamSeq: number, data: Uint8Array): Promise<void> {
    const where = parseConversationSubject(this.nats.topology, subject);
    if (!where) throw new Error(`not a conversation subject: ${subject}`);
    const event = (await this.vault.decode(data)) as ConversationEvent;
    const position: LogPosition = { partition: where.partition, seq: streamSeq };
    const state = await this.rowOf(where.conversationId, where.kind !== 'rcpt');
    // applied_sequence is the meta/message lane's position; receipts are idempotent without it.
    if (state && where.kind !== 'rcpt' && streamSeq <= state.appliedSequence) return; // already applied

    switch (event.type) {
      case 'ConversationCreated': {
        const row: ConversationRow = state ?? {
          conversationId: event.data.conversationId,
          kind: event.data.kind,
          members: event.data.members.map((m) => m.userId),
          lastMessageSeq: 0,
          // A group is applied in full once its "created" message is posted (a retry posts it again).
          appliedSequence: event.data.kind === 'group' ? 0 : streamSeq,
        };
        if (!state) await this.conversations.create(row, event.data.createdBy, new Date(event.occurredAt));
        if (row.kind === 'group') {
          await this.groups.created(row, event, position, this.ttlOf(event.occurredAt));
          await this.reload(row.conversationId);
        } else this.hold(row);
        break;
      }
      case 'GroupMembersAdded':
      case 'GroupMemberRemoved':
      case 'GroupMemberLeft':
      case 'GroupAdminPromoted':
      case 'GroupAdminDemoted':
      case 'GroupInfoChanged':
      case 'GroupSettingsChanged':
        if (!state) return this.orphan(subject, streamSeq, event.type);
        await this.groups.apply(state, event, position, this.ttlOf(event.occurredAt));
        await this.reload(state.conversationId);
        break;
      case 'SecurityCodeChanged':
        if (!state) return this.orphan(subject, streamSeq, event.type);
        await this.groups.securityCodeChanged(state, event, position, this.ttlOf(event.occurredAt));
        await this.reload(state.conversationId);
        break;
      case 'DisappearingTimerChanged':
        if (!state) return this.orphan(subject, streamSeq, event.type);
        await this.groups.disappearingChanged(state, event, position, this.ttlOf(event.occurredAt));
        await this.reload(state.conversationId);
        break;
      case 'MessageSent':
        if (!state) return this.orphan(subject, streamSeq, event.type);
        return this.messageSent(state, event, position); // counted there
      case 'MessageDelivered':
        if (!state) return this.orphan(subject, streamSeq, event.type);
        await this.delivered(state, event, position);
        break;
      case 'MessageRead':
        if (!state) return this.orphan(subject, streamSeq, event.type);
        await this.read(state, event, position);
        break;
      case 'MessageEdited':
      case 'MessageDeleted':
      case 'MessageHidden':
      case 'MessageReacted':
      case 'MessageExpired':
        if (!state) return this.orphan(subject, streamSeq, event.type);
        await this.messageActions.apply(state, event, position);
        await this.conversations.advance(state.conversationId, streamSeq);
        this.hold({ ...state, appliedSequence: streamSeq });
        break;
      default: {
        const _exhaustive: never = event;
        return _exhaustive;
      }
    }
    this.applied.inc({ projection: 'conversations', type: event.type });
  }

  private orphan(subject: string, seq: number, type: string): void {
    this.logger.error({ subject, seq, type }, 'event for a conversation that was never created; skipped');
  }

  private messageSent(state: ConversationRow, event: MessageSent, position: LogPosition): Promise<void> {
    return this.messagesSent(state, [{ event, position }]);
  }

  /**
   * Messages of one conversation, in log order: each is given its seq and published live before any of
   * them is written; then one concurrent wave writes them all (every write is idempotent and keyed by
   * a message's position or seq, so their order does not matter, and a failure retries the events
   * with the same seqs); then one applied position for them all, once everything it stands for is
   * written.
   */
  private async messagesSent(
    state: ConversationRow,
    sent: ReadonlyArray<{ event: MessageSent; position: LogPosition }>,
  ): Promise<void> {
    let row = state;
    const out: Array<Published & { event: MessageSent; position: LogPosition }> = [];
    // Once for the batch (all of it was in the log when it was pulled), unless head starts did it.
    if (sent.some(({ position }) => !this.early.has(positionKey(position)))) await this.fanOut.ready();
    for (const { event, position } of sent) {
      if (position.seq <= row.appliedSequence) continue; // applied already
      const key = positionKey(position);
      const ahead = this.early.get(key);
      this.early.delete(key);
      const next = row.lastMessageSeq + 1;
      if (ahead && ahead.seq !== next)
        this.logger.warn({ position, early: ahead.seq, now: next }, 'published ahead with another seq');
      out.push({
        event,
        position,
        ...(ahead?.seq === next ? ahead : await this.publishMessage(row, event, position)),
      });
      row = { ...row, lastMessageSeq: next, appliedSequence: position.seq };
    }
    await this.fanOut.beforeWrites();
    const writes: Array<Promise<unknown> | undefined> = [];
    const readUpTo = new Map<string, number>();
    let last: HistoryMessage | undefined;
    let lastWithheld: readonly string[] = [];
    for (const { event, position, seq, message, entry } of out) {
      const d = event.data;
      const ttl = this.ttlOf(event.occurredAt);
      const withheld = d.withheldFrom ?? [];
      // Mentions are members when decided; one removed since then is not flagged (and gets nothing).
      const flagged = (d.mentions ?? []).filter(
        (u) => row.members.includes(u) && u !== d.senderUserId && !withheld.includes(u),
      );
      writes.push(
        this.timeline.insert(message, ttl, withheld, position.seq),
        entry.persist(ttl),
        this.messageActions.scheduleExpiry(event), // disappearing messages only
        this.contacts.messageSent(row, event),
        flagged.length > 0 ? this.conversations.recordMentions(flagged, d.conversationId, seq) : undefined,
        // Sending moves the sender's read marker, which may complete "read by all" of earlier messages:
        // every member gets the message at this position, so those aggregates go out with the next receipt.
        row.kind === 'group'
          ? this.groupReceipts.markerMoved(
              d.conversationId,
              row.members,
              { userId: d.senderUserId, deviceId: d.senderDeviceId, seq },
              new Set(),
              false,
            )
          : undefined,
      );
      readUpTo.set(d.senderUserId, seq);
      last = message;
      lastWithheld = withheld;
      this.applied.inc({ projection: 'conversations', type: 'MessageSent' });
    }
    if (!last) return;
    const lastTtl = this.ttlOf(sent[sent.length - 1]!.event.occurredAt);
    // The lists show the last message: one write per member, not one per message.
    writes.push(
      this.conversations.recordMessage(
        row.members.filter((u) => !lastWithheld.includes(u)),
        last,
        lastTtl,
      ),
    );
    for (const [userId, seq] of readUpTo)
      writes.push(this.conversations.markRead(userId, row.conversationId, seq));
    await Promise.all(writes);
    await this.conversations.advance(
      row.conversationId,
      row.appliedSequence,
      row.lastMessageSeq,
      new Date(last.sentAt),
    );
    this.hold(row);
  }

  /** Gives the message the conversation's next seq and publishes it live; nothing is written but media links. */
  private async publishMessage(
    row: ConversationRow,
    event: MessageSent,
    position: LogPosition,
  ): Promise<Published> {
    const d = event.data;
    const seq = row.lastMessageSeq + 1;
    const message = await this.historyMessage(event, seq);
    // Before the fan-out, so a recipient who has the message can already fetch its media.
    if (d.content.type === 'media') await this.mediaLinks.messageSent(row.members, event, d.content);
    if (d.content.type === 'e2e' && d.content.mediaIds)
      await this.mediaLinks.e2eMediaSent(event, d.content.mediaIds);
    // Members who blocked the sender (recorded in the event when it was decided) never get it.
    const withheld = d.withheldFrom ?? [];
    const entry = await this.fanOut.publish(
      position,
      d.conversationId,
      row.members
        .filter((userId) => !withheld.includes(userId))
        .map((userId) =>
          userId === d.senderUserId ? { userId, exceptDeviceId: d.senderDeviceId } : { userId },
        ),
      messagePayload(message, d.content),
    );
    this.refs.set(`${d.conversationId}/${d.messageId}`, { seq, senderUserId: d.senderUserId });
    return { seq, message, entry };
  }

  private async historyMessage(event: MessageSent, seq: number): Promise<HistoryMessage> {
    const d = event.data;
    const quote = d.replyTo
      ? await this.quoteOf(d.replyToConversationId ?? d.conversationId, d.replyTo)
      : undefined;
    return historyMessageOf(event, seq, quote);
  }

  /** Where a message sits, from the cache of recent ones or the timeline. */
  private async refOf(conversationId: string, messageId: string): Promise<MessageRef | undefined> {
    const key = `${conversationId}/${messageId}`;
    const hit = this.refs.get(key);
    if (hit) return hit;
    const ref = await this.timeline.ref(conversationId, messageId);
    if (ref) this.refs.set(key, ref);
    return ref;
  }

  /** A reference the client can resolve with history.get: where the quoted message is and who wrote it. */
  private async quoteOf(conversationId: string, messageId: string): Promise<QuotedMessage> {
    return quotedMessageOf(conversationId, messageId, await this.refOf(conversationId, messageId));
  }

  /**
   * One MessageDelivered names every device a gateway heard from in one flush (v1: one device). Each
   * message's status rows go in one batch; each sender gets one receipt entry at this position (one
   * entry per position and device), listing every message of theirs this event covers.
   */
  private async delivered(
    state: ConversationRow,
    event: MessageDelivered,
    position: LogPosition,
  ): Promise<void> {
    const d = event.data;
    const ids = [...new Set(d.deliveries.flatMap((x) => x.messageIds))];
    const refs = new Map(
      await Promise.all(ids.map(async (id) => [id, await this.refOf(d.conversationId, id)] as const)),
    );
    const rows: Array<{ messageId: string; userId: string }> = [];
    const perDevice = d.deliveries.map((x) => {
      const mine: Array<{ id: string; senderUserId: string }> = [];
      for (const id of x.messageIds) {
        const ref = refs.get(id);
        if (!ref || ref.senderUserId === x.userId) continue; // unknown, or one's own message
        mine.push({ id, senderUserId: ref.senderUserId });
        rows.push({ messageId: id, userId: x.userId });
      }
      return { userId: x.userId, deviceId: x.deviceId, mine };
    });
    // Deliver first: a 1:1 tick goes out beside the status write; a group's aggregate reads it first.
    const statusWritten = this.receipts.delivered(d.conversationId, rows, new Date(d.deliveredAt));
    if (state.kind === 'group') await statusWritten;
    // In a group the sender sees "delivered" once it is delivered to every member (message.info has
    // each member's time); in a 1:1 conversation that is the member's receipt. The first device
    // named for a sender is the one its receipt names (in a group: a member whose receipt completed it).
    const toSenders = new Map<string, { userId: string; deviceId: string; messageIds: Set<string> }>();
    // Computed inside the delivery, so a failure anywhere in it forgets what was marked sent.
    const aggregates: Array<Aggregates<unknown>> = [];
    await settleAggregates(aggregates, async () => {
      for (const x of perDevice) {
        let done: ReadonlyMap<string, readonly string[]>;
        if (state.kind === 'group') {
          const agg = await this.groupReceipts.deliveredToAll(
            d.conversationId,
            state.members,
            x.userId,
            x.mine,
          );
          aggregates.push(agg);
          done = agg.send;
        } else done = bySender(x.mine);
        for (const [sender, messageIds] of done) {
          const to = toSenders.get(sender);
          if (to) for (const id of messageIds) to.messageIds.add(id);
          else
            toSenders.set(sender, {
              userId: x.userId,
              deviceId: x.deviceId,
              messageIds: new Set(messageIds),
            });
        }
      }
      await Promise.all([
        statusWritten,
        ...[...toSenders].map(([sender, r]) =>
          this.fanOut.deliver(position, d.conversationId, [{ userId: sender }], {
            kind: 'receipt',
            data: {
              conversationId: d.conversationId,
              status: 'delivered',
              userId: r.userId,
              deviceId: r.deviceId,
              messageIds: [...r.messageIds],
              ...(state.kind === 'group' ? { allMembers: true as const } : {}),
              at: d.deliveredAt,
            },
          }),
        ),
      ]);
    });
    // "Read by all" completed by a member's sending goes out here, to senders with no other entry here.
    if (state.kind === 'group')
      await this.readByAll(state, position, undefined, new Set(toSenders.keys()), d.deliveredAt);
  }

  /** Sends the "read by all" aggregates now due (GroupReceipts), then records them as sent. */
  private async readByAll(
    state: ConversationRow,
    position: LogPosition,
    move: { userId: string; deviceId: string; seq: number } | undefined,
    busy: ReadonlySet<string>,
    at: string,
  ): Promise<void> {
    const due = await this.groupReceipts.markerMoved(state.conversationId, state.members, move, busy, true);
    // Each sender gets the aggregate in its own inbox row (a user with no other entry at this position).
    await settleAggregates([due], async () => {
      for (const a of due.send) {
        await this.fanOut.deliver(position, state.conversationId, [{ userId: a.senderUserId }], {
          kind: 'receipt',
          data: {
            conversationId: state.conversationId,
            status: 'read',
            userId: a.userId,
            deviceId: a.deviceId ?? '',
            upToMessageId: a.messageId,
            allMembers: true,
            at,
          },
        });
      }
    });
  }

  private async read(state: ConversationRow, event: MessageRead, position: LogPosition): Promise<void> {
    const d = event.data;
    const ref = await this.refOf(d.conversationId, d.upToMessageId);
    if (!ref) return;
    // Three rows of three partitions, each idempotent on its own: written at once.
    await Promise.all([
      this.conversations.markRead(d.userId, d.conversationId, ref.seq),
      this.receipts.read(d.conversationId, d.upToMessageId, d.userId, new Date(d.readAt)),
      this.receipts.readMarker(d.conversationId, d.userId, ref.seq, new Date(d.readAt)),
    ]);
    const receipt = {
      conversationId: d.conversationId,
      status: 'read' as const,
      userId: d.userId,
      deviceId: d.deviceId,
      upToMessageId: d.upToMessageId,
      at: d.readAt,
    };
    if (state.kind !== 'group') {
      // The other member sees blue ticks; the reader's other devices learn the conversation was read.
      await this.fanOut.deliver(
        position,
        d.conversationId,
        state.members.map((userId) =>
          userId === d.userId ? { userId, exceptDeviceId: d.deviceId } : { userId },
        ),
        { kind: 'receipt', data: receipt },
      );
      return;
    }
    // In a group: the reader's other devices keep in step, and each sender whose messages are now read
    // by every other member sees "read" up to the latest of them.
    await this.fanOut.deliver(
      position,
      d.conversationId,
      [{ userId: d.userId, exceptDeviceId: d.deviceId }],
      {
        kind: 'receipt',
        data: receipt,
      },
    );
    await this.readByAll(
      state,
      position,
      { userId: d.userId, deviceId: d.deviceId, seq: ref.seq },
      new Set([d.userId]),
      d.readAt,
    );
  }
}

/** Messages by their sender. */
function bySender(messages: ReadonlyArray<{ id: string; senderUserId: string }>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of messages) out.set(m.senderUserId, [...(out.get(m.senderUserId) ?? []), m.id]);
  return out;
}

/**
 * A location message's point as history shows it. A point that does not parse is a forgotten sender's
 * "[forgotten]": the message keeps that marker as its text and shows no location.
 */
function locationOf(
  content: Extract<MessageSent['data']['content'], { type: 'location' }>,
): { location: LocationView } | { text: string } {
  const point = parseCoordinates(content.coordinates);
  if (!point) return { text: content.coordinates };
  return {
    location: {
      ...point,
      ...(content.name !== undefined ? { name: content.name } : {}),
      ...(content.address !== undefined ? { address: content.address } : {}),
      ...(content.liveUntil !== undefined ? { liveUntil: content.liveUntil } : {}),
    },
  };
}

function mediaReference(content: MediaContent): MediaReference {
  const { type: _type, ...reference } = content;
  return reference;
}

/** The timeline message of a MessageSent at `seq` (the live projection and the bulk rebuild build it alike). */
export function historyMessageOf(event: MessageSent, seq: number, quote?: QuotedMessage): HistoryMessage {
  const d = event.data;
  return {
    conversationId: d.conversationId,
    messageId: d.messageId,
    seq,
    senderUserId: d.senderUserId,
    senderDeviceId: d.senderDeviceId,
    clientMessageId: d.clientMessageId,
    text: d.content.type === 'text' ? d.content.text : '',
    ...(d.content.type === 'media' ? { media: mediaReference(d.content) } : {}),
    ...(d.content.type === 'location' ? locationOf(d.content) : {}),
    ...(d.content.type === 'e2e' ? { e2e: e2eMarkerOf(d.content)! } : {}),
    ...(d.replyTo ? { replyTo: d.replyTo } : {}),
    ...(quote ? { quote } : {}),
    ...(d.mentions ? { mentions: d.mentions } : {}),
    sentAt: d.sentAt,
    ...(d.forwardCount !== undefined ? forwardMarks(d.forwardCount) : {}),
    ...(d.expiresAt !== undefined ? { expiresAt: d.expiresAt } : {}),
  };
}

/** A reference the client can resolve with history.get: where the quoted message is and who wrote it. */
export function quotedMessageOf(
  conversationId: string,
  messageId: string,
  ref: MessageRef | undefined,
): QuotedMessage {
  return {
    conversationId,
    messageId,
    ...(ref ? { senderUserId: ref.senderUserId, seq: ref.seq } : {}),
  };
}

/** A message given its seq and published live; its wave writes it. */
interface Published {
  readonly seq: number;
  readonly message: HistoryMessage;
  readonly entry: PublishedEntry;
}

const positionKey = (p: LogPosition): string => `${p.partition}:${p.seq}`;
