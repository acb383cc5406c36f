import type { Logger } from 'pino';
import type { RetentionConfig } from '#libs/config';
import {
  conversationSubject,
  PersonalDataVault,
  type ChatEvent,
  parseConversationSubject,
  type ConversationEvent,
  type MessageDelivered,
  type MessageRead,
  type MessageSent,
} from '#libs/events';
import { NatsClient, partitionStreamName, type StoredMessage } from '#libs/nats';
import type { MetricsService } from '#libs/platform';
import type { HistoryMessage, MediaReference, QuotedMessage } from '#libs/protocol';
import type {
  ConversationStore,
  ReceiptStore,
  TimelineStore,
  ConversationRow,
  LogPosition,
  MessageRef,
} from '#libs/read-models';
import { BoundedMap } from './bounded-map.js';
import { ContactRelations } from './contact-relations.js';
import type { ConversationFanOut } from './conversation-fan-out.js';
import type { GroupProjection } from './group.projection.js';
import type { GroupReceipts } from './group-receipts.js';
import type { MediaContent, MediaLinks } from './media-links.js';

const RECENTLY_SEEN_MAX = 100_000;
/** Recent messages' sender and seq: a 1024-member group's message brings ~1,000 receipts naming it. */
const MESSAGE_REFS_MAX = 50_000;
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
  /** Conversations this process has caught up (insertion order doubles as an LRU). */
  private readonly recentlySeen = new Set<string>();
  /** `conversationId/messageId` -> where the message sits; set once applied, and a message never moves. */
  private readonly refs = new BoundedMap<string, MessageRef>(MESSAGE_REFS_MAX);
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
    if (where.kind !== 'rcpt' && (msg.redelivered === true || !this.recentlySeen.has(where.conversationId))) {
      await this.catchUp(where.partition, where.conversationId, msg.seq);
      this.remember(where.conversationId);
    }
    await this.apply(msg.subject, msg.seq, msg.data);
  }

  /**
   * Applies, from the log itself, the conversation's meta and message events before `beforeSeq` that are
   * not applied yet. A consumer delivers in stream order except around redeliveries: after a crash, the
   * events the dead process had pulled come back only after ack_wait, while newer ones of the same
   * conversation arrive at once. Without this, applied_sequence would make the late older events look
   * applied and skip them. Checked for each conversation once per process, and for every redelivery.
   */
  private async catchUp(partition: number, conversationId: string, beforeSeq: number): Promise<void> {
    const state = await this.conversations.get(conversationId);
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

  private remember(conversationId: string): void {
    this.recentlySeen.delete(conversationId);
    this.recentlySeen.add(conversationId);
    if (this.recentlySeen.size > RECENTLY_SEEN_MAX)
      this.recentlySeen.delete(this.recentlySeen.values().next().value as string);
  }

  private async apply(subject: string, streamSeq: number, data: Uint8Array): Promise<void> {
    const where = parseConversationSubject(this.nats.topology, subject);
    if (!where) throw new Error(`not a conversation subject: ${subject}`);
    const event = (await this.vault.decode(data)) as ConversationEvent;
    const position: LogPosition = { partition: where.partition, seq: streamSeq };
    const state = await this.conversations.get(where.conversationId);
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
        if (row.kind === 'group')
          await this.groups.created(row, event, position, this.ttlOf(event.occurredAt));
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
        break;
      case 'MessageSent':
        if (!state) return this.orphan(subject, streamSeq, event.type);
        await this.messageSent(state, event, position);
        break;
      case 'MessageDelivered':
        if (!state) return this.orphan(subject, streamSeq, event.type);
        await this.delivered(state, event, position);
        break;
      case 'MessageRead':
        if (!state) return this.orphan(subject, streamSeq, event.type);
        await this.read(state, event, position);
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

  private async messageSent(
    state: ConversationRow,
    event: MessageSent,
    position: LogPosition,
  ): Promise<void> {
    const d = event.data;
    const seq = state.lastMessageSeq + 1;
    const quote = d.replyTo
      ? await this.quoteOf(d.replyToConversationId ?? d.conversationId, d.replyTo)
      : undefined;
    // Mentions are members when decided; one removed since then is not flagged (and gets nothing).
    const mentions = (d.mentions ?? []).filter((u) => state.members.includes(u));
    const message: HistoryMessage = {
      conversationId: d.conversationId,
      messageId: d.messageId,
      seq,
      senderUserId: d.senderUserId,
      senderDeviceId: d.senderDeviceId,
      clientMessageId: d.clientMessageId,
      text: d.content.type === 'text' ? d.content.text : '',
      ...(d.content.type === 'media' ? { media: mediaReference(d.content) } : {}),
      ...(d.replyTo ? { replyTo: d.replyTo } : {}),
      ...(quote ? { quote } : {}),
      ...(d.mentions ? { mentions: d.mentions } : {}),
      sentAt: d.sentAt,
    };
    // Before the fan-out, so a recipient who has the message can already fetch its media.
    if (d.content.type === 'media') await this.mediaLinks.messageSent(state.members, event, d.content);
    const ttl = this.ttlOf(event.occurredAt);
    await this.timeline.insert(message, ttl);
    this.refs.set(`${d.conversationId}/${d.messageId}`, { seq, senderUserId: d.senderUserId });
    await this.fanOut.deliver(
      position,
      d.conversationId,
      state.members.map((userId) =>
        userId === d.senderUserId ? { userId, exceptDeviceId: d.senderDeviceId } : { userId },
      ),
      { kind: 'message', data: message },
      ttl,
    );
    await this.conversations.recordMessage(state.members, message, ttl);
    await this.contacts.messageSent(state, event);
    const flagged = mentions.filter((u) => u !== d.senderUserId);
    if (flagged.length > 0) await this.conversations.recordMentions(flagged, d.conversationId, seq);
    await this.conversations.markRead(d.senderUserId, d.conversationId, seq);
    // Sending moves the sender's read marker, which may complete "read by all" of earlier messages: every
    // member gets the message at this position, so those aggregates go out with the next receipt.
    if (state.kind === 'group')
      await this.groupReceipts.markerMoved(
        d.conversationId,
        state.members,
        { userId: d.senderUserId, deviceId: d.senderDeviceId, seq },
        new Set(),
        false,
      );
    await this.conversations.advance(d.conversationId, position.seq, seq, new Date(d.sentAt));
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
    const ref = await this.refOf(conversationId, messageId);
    return {
      conversationId,
      messageId,
      ...(ref ? { senderUserId: ref.senderUserId, seq: ref.seq } : {}),
    };
  }

  private async delivered(
    state: ConversationRow,
    event: MessageDelivered,
    position: LogPosition,
  ): Promise<void> {
    const d = event.data;
    const refs = await Promise.all(
      d.messageIds.map(async (id) => ({ id, ref: await this.refOf(d.conversationId, id) })),
    );
    const bySender = new Map<string, string[]>();
    const mine: Array<{ id: string; senderUserId: string }> = [];
    for (const { id, ref } of refs) {
      if (!ref || ref.senderUserId === d.userId) continue; // unknown, or one's own message
      bySender.set(ref.senderUserId, [...(bySender.get(ref.senderUserId) ?? []), id]);
      mine.push({ id, senderUserId: ref.senderUserId });
    }
    const ids = [...bySender.values()].flat();
    await this.receipts.delivered(d.conversationId, ids, d.userId, new Date(d.deliveredAt));
    // In a group the sender sees "delivered" once it is delivered to every member (message.info has
    // each member's time); in a 1:1 conversation that is this member's receipt.
    const toSenders =
      state.kind === 'group'
        ? await this.groupReceipts.deliveredToAll(d.conversationId, state.members, d.userId, mine)
        : { send: bySender, commit: () => Promise.resolve() };
    for (const [sender, messageIds] of toSenders.send) {
      await this.fanOut.deliver(position, d.conversationId, [{ userId: sender }], {
        kind: 'receipt',
        data: {
          conversationId: d.conversationId,
          status: 'delivered',
          userId: d.userId,
          deviceId: d.deviceId,
          messageIds,
          ...(state.kind === 'group' ? { allMembers: true as const } : {}),
          at: d.deliveredAt,
        },
      });
    }
    await toSenders.commit();
    // "Read by all" completed by a member's sending goes out here, to senders with no other entry here.
    if (state.kind === 'group')
      await this.readByAll(state, position, undefined, new Set(toSenders.send.keys()), d.deliveredAt);
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
    await due.commit();
  }

  private async read(state: ConversationRow, event: MessageRead, position: LogPosition): Promise<void> {
    const d = event.data;
    const ref = await this.refOf(d.conversationId, d.upToMessageId);
    if (!ref) return;
    await this.conversations.markRead(d.userId, d.conversationId, ref.seq);
    await this.receipts.read(d.conversationId, d.upToMessageId, d.userId, new Date(d.readAt));
    await this.receipts.readMarker(d.conversationId, d.userId, ref.seq, new Date(d.readAt));
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

function mediaReference(content: MediaContent): MediaReference {
  const { type: _type, ...reference } = content;
  return reference;
}
