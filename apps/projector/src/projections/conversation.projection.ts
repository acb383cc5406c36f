import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { RetentionConfig } from '#libs/config';
import {
  chatEventCodec,
  conversationFilter,
  parseConversationSubject,
  type ConversationEvent,
  type MessageDelivered,
  type MessageRead,
  type MessageSent,
} from '#libs/events';
import { NatsClient, partitionStreamName, type StoredMessage } from '#libs/nats';
import { LOGGER, MetricsService } from '#libs/platform';
import type { HistoryMessage, MediaReference } from '#libs/protocol';
import {
  ConversationStore,
  DeviceStore,
  MediaStore,
  ReceiptStore,
  TimelineStore,
  type ConversationRow,
  type LogPosition,
} from '#libs/read-models';
import { FanOut } from './fan-out.js';
import { RETENTION } from '../tokens.js';

const RECENTLY_SEEN_MAX = 100_000;

/**
 * Builds timelines, inboxes, receipts and conversation lists from a CHAT_<p> stream. It is the single
 * writer of each conversation it owns and applies its events in stream order; `applied_sequence` makes
 * a redelivered event change nothing twice, and the per-conversation message sequence it assigns is
 * derived from the log alone, so a rebuild assigns the same numbers.
 */
@Injectable()
export class ConversationProjection {
  private readonly applied;
  /** Conversations this process has caught up (insertion order doubles as an LRU). */
  private readonly recentlySeen = new Set<string>();

  constructor(
    private readonly nats: NatsClient,
    private readonly conversations: ConversationStore,
    private readonly timeline: TimelineStore,
    private readonly receipts: ReceiptStore,
    private readonly fanOut: FanOut,
    private readonly media: MediaStore,
    private readonly devices: DeviceStore,
    @Inject(RETENTION) private readonly retention: Readonly<RetentionConfig>,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: MetricsService,
  ) {
    this.applied = metrics.counter('chat_projector_events_applied_total', 'Events applied by the projector', [
      'projection',
      'type',
    ]);
  }

  keyOf(msg: StoredMessage): string {
    return parseConversationSubject(this.nats.topology, msg.subject)?.conversationId ?? msg.subject;
  }

  private get ttl(): number | undefined {
    return this.retention.RETENTION_MODE === 'transient'
      ? this.retention.RETENTION_WINDOW_SECONDS
      : undefined;
  }

  async handle(msg: StoredMessage): Promise<void> {
    const where = parseConversationSubject(this.nats.topology, msg.subject);
    if (!where) throw new Error(`not a conversation subject: ${msg.subject}`);
    if (msg.redelivered === true || !this.recentlySeen.has(where.conversationId)) {
      const stream = partitionStreamName(this.nats.topology, where.partition);
      await this.catchUp(stream, where.conversationId, msg.seq);
    }
    await this.apply(msg.subject, msg.seq, msg.data);
    this.remember(where.conversationId);
  }

  /**
   * Applies, from the log itself, the conversation's events before `beforeSeq` that are not applied yet.
   * A consumer delivers in stream order except around redeliveries: after a crash, the events the dead
   * process had pulled come back only after ack_wait, while newer ones of the same conversation arrive
   * at once. Without this, applied_sequence would make the late older events look applied and skip them.
   * Checked for each conversation once per process, and for every redelivered event.
   */
  private async catchUp(stream: string, conversationId: string, beforeSeq: number): Promise<void> {
    const state = await this.conversations.get(conversationId);
    if (!state) return; // nothing precedes a conversation's creation; an orphan is logged by apply
    const filter = conversationFilter(this.nats.topology, conversationId);
    for (let from = state.appliedSequence + 1; from < beforeSeq;) {
      const earlier = await this.nats.jsm.direct.getMessage(stream, { seq: from, next_by_subj: filter });
      if (!earlier || earlier.seq >= beforeSeq) return;
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
    const event = chatEventCodec.decode(data) as ConversationEvent;
    const position: LogPosition = { partition: where.partition, seq: streamSeq };
    const state = await this.conversations.get(where.conversationId);
    if (state && streamSeq <= state.appliedSequence) return; // already applied

    switch (event.type) {
      case 'ConversationCreated':
        if (!state) {
          await this.conversations.create(
            {
              conversationId: event.data.conversationId,
              kind: event.data.kind,
              members: event.data.members.map((m) => m.userId),
              lastMessageSeq: 0,
              appliedSequence: streamSeq,
            },
            event.data.createdBy,
            new Date(event.occurredAt),
          );
        }
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
      sentAt: d.sentAt,
    };
    // Before the fan-out, so a recipient who has the message can already fetch its media.
    if (d.content.type === 'media') await this.mediaSent(state, event, d.content);
    await this.timeline.insert(message, this.ttl);
    await this.fanOut.deliver(
      position,
      d.conversationId,
      state.members.map((userId) =>
        userId === d.senderUserId ? { userId, exceptDeviceId: d.senderDeviceId } : { userId },
      ),
      { kind: 'message', data: message },
      this.ttl,
    );
    await this.conversations.recordMessage(state.members, message, this.ttl);
    await this.conversations.markRead(d.senderUserId, d.conversationId, seq);
    await this.conversations.advance(d.conversationId, position.seq, seq, new Date(d.sentAt));
  }

  /** Records where the media was sent; view-once and transient media wait for each recipient device. */
  private async mediaSent(state: ConversationRow, event: MessageSent, content: MediaContent): Promise<void> {
    const d = event.data;
    const row = await this.media.get(content.mediaId);
    if (!row) return this.logger.error({ mediaId: content.mediaId }, 'MessageSent names unknown media');
    const transient = this.retention.RETENTION_MODE === 'transient';
    await this.media.recordMessage(content.mediaId, row.createdAt, {
      conversationId: d.conversationId,
      messageId: d.messageId,
      senderUserId: d.senderUserId,
      senderDeviceId: d.senderDeviceId,
      viewOnce: content.viewOnce,
      transient,
    });
    if (!content.viewOnce && !transient) return;
    const devices = (
      await Promise.all(
        state.members.map(async (userId) =>
          (await this.devices.list(userId)).map((dev) => ({ userId, deviceId: dev.deviceId })),
        ),
      )
    )
      .flat()
      .filter((dev) => dev.deviceId !== d.senderDeviceId);
    await this.media.addPendingDevices(content.mediaId, d.messageId, devices);
    const window = this.retention.RETENTION_WINDOW_SECONDS * 1000;
    await this.media.scheduleExpiry(content.mediaId, new Date(new Date(d.sentAt).getTime() + window));
  }

  private async delivered(
    state: ConversationRow,
    event: MessageDelivered,
    position: LogPosition,
  ): Promise<void> {
    const d = event.data;
    const refs = await Promise.all(
      d.messageIds.map(async (id) => ({ id, ref: await this.timeline.ref(d.conversationId, id) })),
    );
    const bySender = new Map<string, string[]>();
    for (const { id, ref } of refs) {
      if (!ref || ref.senderUserId === d.userId) continue; // unknown, or one's own message
      bySender.set(ref.senderUserId, [...(bySender.get(ref.senderUserId) ?? []), id]);
    }
    const ids = [...bySender.values()].flat();
    await this.receipts.delivered(d.conversationId, ids, d.userId, new Date(d.deliveredAt));
    for (const [sender, messageIds] of bySender) {
      await this.fanOut.deliver(position, d.conversationId, [{ userId: sender }], {
        kind: 'receipt',
        data: {
          conversationId: d.conversationId,
          status: 'delivered',
          userId: d.userId,
          deviceId: d.deviceId,
          messageIds,
          at: d.deliveredAt,
        },
      });
    }
    await this.conversations.advance(d.conversationId, position.seq);
  }

  private async read(state: ConversationRow, event: MessageRead, position: LogPosition): Promise<void> {
    const d = event.data;
    const ref = await this.timeline.ref(d.conversationId, d.upToMessageId);
    if (ref) {
      await this.conversations.markRead(d.userId, d.conversationId, ref.seq);
      await this.receipts.read(d.conversationId, d.upToMessageId, d.userId, new Date(d.readAt));
      // Other members see blue ticks; the reader's other devices learn the conversation was read.
      await this.fanOut.deliver(
        position,
        d.conversationId,
        state.members.map((userId) =>
          userId === d.userId ? { userId, exceptDeviceId: d.deviceId } : { userId },
        ),
        {
          kind: 'receipt',
          data: {
            conversationId: d.conversationId,
            status: 'read',
            userId: d.userId,
            deviceId: d.deviceId,
            upToMessageId: d.upToMessageId,
            at: d.readAt,
          },
        },
      );
    }
    await this.conversations.advance(d.conversationId, position.seq);
  }
}

type MediaContent = Extract<MessageSent['data']['content'], { type: 'media' }>;

function mediaReference(content: MediaContent): MediaReference {
  const { type: _type, ...reference } = content;
  return reference;
}
