import type { Logger } from 'pino';
import type { RetentionConfig } from '#libs/config';
import {
  parseCoordinates,
  type MessageActionEvent,
  type MessageEdited,
  type MessageExpired,
  type MessageSent,
} from '#libs/events';
import type {
  HistoryMessage,
  LocationView,
  MediaReference,
  MessageDeletion,
  MessageUpdate,
} from '#libs/protocol';
import {
  deletedMessage,
  type ActionTarget,
  type ConversationRow,
  type ConversationStore,
  type LogPosition,
  type MessageActionStore,
  type MessageExpiryStore,
} from '#libs/read-models';
import type { ConversationFanOut, Recipient } from './conversation-fan-out.js';
import type { InboxRedaction } from './inbox-redaction.js';
import type { MediaLinks } from './media-links.js';

/**
 * Applies what members do to messages already sent (MessageEdited, MessageDeleted, MessageHidden), for
 * ConversationProjection, in the conversation's stream order: like a message, the `update` entry is
 * published live first, then the timeline row, the inbox rows and the list previews are written. A
 * rebuild runs the same code with a fan-out that delivers nothing and without inbox redaction or media
 * effects (delivery and lifecycle state), so its rows equal the live ones.
 */
export class MessageActionsProjection {
  constructor(
    private readonly store: MessageActionStore,
    private readonly conversations: ConversationStore,
    private readonly fanOut: ConversationFanOut,
    private readonly mediaLinks: MediaLinks,
    private readonly retention: Readonly<RetentionConfig>,
    private readonly logger: Logger,
    private readonly inboxes?: InboxRedaction,
    /** Set where the projection delivers: disappearing messages' expiries for the sweeper. */
    private readonly expiries?: MessageExpiryStore,
  ) {}

  /** A MessageSent under a disappearing timer: its expiry goes in the sweeper's index (not on a rebuild). */
  scheduleExpiry(event: MessageSent): Promise<void> | undefined {
    const d = event.data;
    if (d.expiresAt === undefined) return undefined;
    return this.expiries?.schedule({
      expiresAt: new Date(d.expiresAt),
      conversationId: d.conversationId,
      messageId: d.messageId,
      ...(d.contentKey !== undefined ? { contentKey: d.contentKey } : {}),
    });
  }

  /** As ConversationProjection.ttlOf, for the message's own content: an action never extends its life. */
  private ttlOf(sentAt: string): number | undefined {
    if (this.retention.RETENTION_MODE !== 'transient') return undefined;
    const age = (Date.now() - new Date(sentAt).getTime()) / 1000;
    return Math.max(1, Math.floor(this.retention.RETENTION_WINDOW_SECONDS - Math.max(0, age)));
  }

  async apply(
    row: ConversationRow,
    event: MessageActionEvent | MessageExpired,
    position: LogPosition,
  ): Promise<void> {
    const d = event.data;
    const target = await this.store.target(d.conversationId, d.messageId);
    // Gone with the retention window, expired already (or never projected): nothing left to change.
    if (!target)
      return this.logger.info({ type: event.type, messageId: d.messageId }, 'action on no message');
    switch (event.type) {
      case 'MessageExpired':
        return this.expired(row, event, target, position);
      case 'MessageEdited':
        return this.edited(row, event, target, position);
      case 'MessageDeleted':
        return this.deleted(row, event, target, position);
      case 'MessageHidden':
        return this.hidden(row, event, target, position);
      case 'MessageReacted':
        return this.reacted(row, event, target, position);
      default: {
        const _exhaustive: never = event;
        return _exhaustive;
      }
    }
  }

  /** The members who have the message: never one it was withheld from (they blocked its sender). */
  private toMembers(row: ConversationRow, d: MessageActionEvent['data'], target: ActionTarget): Recipient[] {
    return row.members
      .filter((userId) => !target.withheldFrom.includes(userId))
      .map((userId) => (userId === d.userId ? { userId, exceptDeviceId: d.deviceId } : { userId }));
  }

  private async publish(
    position: LogPosition,
    conversationId: string,
    recipients: readonly Recipient[],
    data: Omit<MessageUpdate, 'entryId'>,
  ) {
    await this.fanOut.ready();
    const published = await this.fanOut.publish(position, conversationId, recipients, {
      kind: 'update',
      data,
    });
    await this.fanOut.beforeWrites(); // as for messages: live first, then the writes
    return published;
  }

  /** When the message is the list's preview, the members' previews show it as it is now (reactions are history's). */
  private preview(
    row: ConversationRow,
    m: HistoryMessage,
    target: ActionTarget,
    ttl: number | undefined,
  ): Promise<void> | undefined {
    if (m.seq !== row.lastMessageSeq) return undefined;
    const { reactions: _reactions, ...shown } = m;
    const members = row.members.filter((u) => !target.withheldFrom.includes(u)); // as messagesSent's
    return this.conversations.recordMessage(members, shown, ttl);
  }

  private async edited(
    row: ConversationRow,
    event: Extract<MessageActionEvent, { type: 'MessageEdited' }>,
    target: ActionTarget,
    position: LogPosition,
  ): Promise<void> {
    const d = event.data;
    const m = target.message;
    if (m.deleted) return; // deleted meanwhile: there is nothing to edit
    const change = changeOf(m, d);
    if (!change) return;
    const point = d.coordinates !== undefined ? parseCoordinates(d.coordinates) : undefined;
    const ttl = this.ttlOf(m.sentAt);
    const published = await this.publish(position, d.conversationId, this.toMembers(row, d, target), {
      conversationId: d.conversationId,
      messageId: d.messageId,
      action: 'edited',
      userId: d.userId,
      deviceId: d.deviceId,
      ...(d.text !== undefined ? { text: d.text } : {}),
      ...(d.caption !== undefined ? { caption: d.caption } : {}),
      ...(point ? { location: point } : {}),
      ...(d.liveStopped ? { liveStopped: true as const } : {}),
      at: d.editedAt,
    });
    const edited: HistoryMessage = { ...m, ...change, editedAt: d.editedAt };
    await Promise.all([
      this.store.edit(m, change, new Date(d.editedAt), ttl),
      published.persist(ttl),
      this.preview(row, edited, target, ttl),
    ]);
  }

  private async deleted(
    row: ConversationRow,
    event: Extract<MessageActionEvent, { type: 'MessageDeleted' }>,
    target: ActionTarget,
    position: LogPosition,
  ): Promise<void> {
    const d = event.data;
    const m = target.message;
    if (m.deleted) return; // deleted already (a second deletion changes nothing)
    const deletion: MessageDeletion = { byUserId: d.userId, byAdmin: d.byAdmin, at: d.deletedAt };
    const ttl = this.ttlOf(m.sentAt);
    const published = await this.publish(position, d.conversationId, this.toMembers(row, d, target), {
      conversationId: d.conversationId,
      messageId: d.messageId,
      action: 'deleted',
      userId: d.userId,
      deviceId: d.deviceId,
      byAdmin: d.byAdmin,
      at: d.deletedAt,
    });
    const placeholder = deletedMessage(m, deletion);
    await Promise.all([
      this.store.remove(m, deletion, ttl),
      published.persist(ttl),
      this.preview(row, placeholder, target, ttl),
      target.streamSeq !== undefined
        ? this.inboxes?.redact(
            row.members,
            { partition: position.partition, seq: target.streamSeq },
            placeholder,
            ttl,
          )
        : undefined,
      m.media
        ? this.mediaLinks.messageDeleted(
            d.conversationId,
            d.messageId,
            m.media.mediaId,
            new Date(d.deletedAt),
          )
        : undefined,
    ]);
  }

  /**
   * A disappearing message's time ran out: every member device is told (`expired`), and the message
   * leaves the timeline, the undelivered inbox entries (a device offline all along never gets it) and
   * the previews; its media object goes when no other message references it.
   */
  private async expired(
    row: ConversationRow,
    event: MessageExpired,
    target: ActionTarget,
    position: LogPosition,
  ): Promise<void> {
    const d = event.data;
    const m = target.message;
    const members = row.members.filter((u) => !target.withheldFrom.includes(u));
    const published = await this.publish(
      position,
      d.conversationId,
      members.map((userId) => ({ userId })),
      {
        conversationId: d.conversationId,
        messageId: d.messageId,
        action: 'expired',
        userId: m.senderUserId,
        deviceId: m.senderDeviceId,
        at: d.expiredAt,
      },
    );
    const ttl = this.ttlOf(m.sentAt);
    await Promise.all([
      this.store.expire(m),
      published.persist(ttl),
      m.seq === row.lastMessageSeq
        ? Promise.all(members.map((u) => this.store.clearPreview(u, d.conversationId)))
        : undefined,
      target.streamSeq !== undefined
        ? this.inboxes?.remove(row.members, { partition: position.partition, seq: target.streamSeq })
        : undefined,
      m.media
        ? this.mediaLinks.messageDeleted(
            d.conversationId,
            d.messageId,
            m.media.mediaId,
            new Date(d.expiredAt),
          )
        : undefined,
    ]);
  }

  private async hidden(
    row: ConversationRow,
    event: Extract<MessageActionEvent, { type: 'MessageHidden' }>,
    target: ActionTarget,
    position: LogPosition,
  ): Promise<void> {
    const d = event.data;
    const m = target.message;
    if (target.hiddenFor.includes(d.userId)) return;
    const ttl = this.ttlOf(m.sentAt);
    const published = await this.publish(
      position,
      d.conversationId,
      [{ userId: d.userId, exceptDeviceId: d.deviceId }],
      {
        conversationId: d.conversationId,
        messageId: d.messageId,
        action: 'hidden',
        userId: d.userId,
        deviceId: d.deviceId,
        at: d.hiddenAt,
      },
    );
    await Promise.all([
      this.store.hide(m, d.userId, ttl),
      published.persist(ttl),
      m.seq === row.lastMessageSeq ? this.store.clearPreview(d.userId, d.conversationId) : undefined,
    ]);
  }

  /** A reaction reaches every member device but the acting one: the sender's like a receipt (an inbox entry). */
  private async reacted(
    row: ConversationRow,
    event: Extract<MessageActionEvent, { type: 'MessageReacted' }>,
    target: ActionTarget,
    position: LogPosition,
  ): Promise<void> {
    const d = event.data;
    const m = target.message;
    if (m.deleted) return;
    const current = m.reactions?.find((r) => r.userIds.includes(d.userId))?.emoji;
    if (current === d.emoji) return; // the same reaction again (or removing none) changes nothing
    const ttl = this.ttlOf(m.sentAt);
    const published = await this.publish(position, d.conversationId, this.toMembers(row, d, target), {
      conversationId: d.conversationId,
      messageId: d.messageId,
      action: 'reacted',
      userId: d.userId,
      deviceId: d.deviceId,
      ...(d.emoji !== undefined ? { emoji: d.emoji } : {}),
      at: d.reactedAt,
    });
    await Promise.all([this.store.react(m, d.userId, d.emoji, ttl), published.persist(ttl)]);
  }
}

/**
 * What an edit changes in the message as stored: its text, its caption, or its live location (a new
 * point, or the end of sharing). Undefined when it does not apply to this message (or names a point a
 * forgotten user's key no longer opens).
 */
function changeOf(
  m: HistoryMessage,
  d: MessageEdited['data'],
): { text: string } | { media: MediaReference } | { location: LocationView } | undefined {
  if (d.text !== undefined) return { text: d.text };
  if (d.caption !== undefined) return m.media ? { media: { ...m.media, caption: d.caption } } : undefined;
  if (!m.location) return undefined;
  if (d.liveStopped) return { location: { ...m.location, liveStopped: true } };
  const point = d.coordinates !== undefined ? parseCoordinates(d.coordinates) : undefined;
  return point ? { location: { ...m.location, ...point } } : undefined;
}
