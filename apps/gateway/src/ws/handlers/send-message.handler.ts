import type { ICommandHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import { ConversationCommandHandler } from '#libs/nats';
import { directPeerOf, type SendMessage } from '#libs/domain';
import { CLOCK, type Clock } from '#libs/platform';
import { TimelineStore } from '#libs/read-models';
import type { MessagingConfig } from '../../gateway.config.js';
import { ApiError, accepted } from '../../http/api-error.js';
import { sanitizeFileName } from '../../media/file-name.js';
import { MediaService } from '../../media/media.service.js';
import { ProfileGate } from '../../profiles/profile-gate.js';
import { BlockDirectory } from '../../safety/block-directory.js';
import { MessageIdService } from '../../ids/message-id.service.js';
import { MESSAGING_CONFIG } from '../../tokens.js';
import type { DeviceConnection } from '../device-connection.js';
import { SendMessageDto } from '../frames.dto.js';
import type { SendResult, Requests } from '#libs/protocol';
import { FrameCommand, FrameHandler } from '../frame-handler.js';
import { E2eContent } from '../../e2e/e2e-content.js';

/**
 * The JetStream de-duplication id (Nats-Msg-Id) of a send. The client's id goes in as base64url of its
 * UTF-8 bytes: a header value is trimmed and must not hold CR/LF, and base64url is injective, so two
 * different clientMessageIds never share a Nats-Msg-Id. User and device ids are subject tokens (no dot),
 * so the dots keep the three parts apart.
 */
export function sendDedupId(userId: string, deviceId: string, clientMessageId: string): string {
  return `${userId}.${deviceId}.${Buffer.from(clientMessageId, 'utf8').toString('base64url')}`;
}

/**
 * What a send carries besides the frame: the conversation of a quoted message from elsewhere, and a
 * forwarded copy's hop count (message.forward).
 */
export type SendRequest = SendMessageDto & { replyToConversationId?: string; forwardCount?: number };

/**
 * Appends MessageSent and answers only once JetStream stored it (SENT): in steady state that append is
 * the only awaited round trip (membership comes from the handler's cache, kept current by
 * MembershipCache). The same client message id from the same device answers with the first message:
 * JetStream's Nats-Msg-Id catches resends within its window, the client_messages table a resend the
 * client marks as one (`resend: true`) any time later.
 */
export class SendMessageCommand extends FrameCommand<SendMessageDto, Requests['message.send']['result']> {}

@FrameHandler(SendMessageCommand, { 'message.send': SendMessageDto })
export class SendMessageHandler implements ICommandHandler<SendMessageCommand> {
  constructor(
    private readonly conversations: ConversationCommandHandler,
    private readonly timeline: TimelineStore,
    private readonly ids: MessageIdService,
    private readonly media: MediaService,
    @Inject(MESSAGING_CONFIG) private readonly config: Readonly<MessagingConfig>,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly profiles: ProfileGate,
    private readonly blocks: BlockDirectory,
    private readonly e2e: E2eContent,
  ) {}

  /**
   * Issue 18: the peer of a direct conversation who blocked the sender (read from memory in steady
   * state); the decider withholds the message from them, the event records it, the projector obeys.
   */
  private async blockedBy(userId: string, conversationId: string): Promise<string[] | undefined> {
    const peer = directPeerOf(conversationId, userId);
    return peer !== undefined && (await this.blocks.blocks(peer, userId)) ? [peer] : undefined;
  }

  private async contentOf(conn: DeviceConnection, data: SendRequest): Promise<SendMessage['content']> {
    const given = [data.text, data.media, data.location, data.e2e].filter((c) => c !== undefined).length;
    if (given !== 1)
      throw new ApiError('VALIDATION_FAILED', 'a message has exactly one of text, media, location and e2e', {
        fields: [{ field: 'text', problem: 'exactly one of text, media, location and e2e' }],
      });
    if (data.text !== undefined) return { type: 'text', text: data.text };
    if (data.location !== undefined) return { type: 'location', ...data.location };
    if (data.e2e !== undefined) return this.e2e.of(conn.userId, data.conversationId, data.e2e);
    const m = data.media!;
    // The name reaches other people's devices: cleaned here, where it enters.
    const fileName = m.fileName !== undefined ? sanitizeFileName(m.fileName) : undefined;
    return {
      type: 'media',
      facts: await this.media.factsFor(conn.userId, m.mediaId),
      viewOnce: m.viewOnce === true,
      maxVideoSeconds: this.media.maxVideoSeconds,
      ...(m.caption !== undefined ? { caption: m.caption } : {}),
      ...(m.thumbnail !== undefined ? { thumbnail: m.thumbnail } : {}),
      ...(m.blurhash !== undefined ? { blurhash: m.blurhash } : {}),
      ...(m.durationSeconds !== undefined ? { durationSeconds: m.durationSeconds } : {}),
      ...(fileName !== undefined ? { fileName } : {}),
    };
  }

  execute({ conn, data }: SendMessageCommand): Promise<SendResult> {
    return this.send(conn, data);
  }

  async send(conn: DeviceConnection, data: SendRequest): Promise<SendResult> {
    await this.profiles.requireDisplayName(conn.userId); // issue 18: no display name, no sending
    // A first send costs its append alone: a resend within JetStream's duplicate window gets the
    // stored event back from the append (Nats-Msg-Id). Only one the client marks as a resend may come
    // after the window, so only that one reads the durable record.
    if (data.resend === true) {
      const earlier = await this.timeline.byClientId(conn.userId, conn.deviceId, data.clientMessageId);
      if (earlier) return { ...earlier, clientMessageId: data.clientMessageId, duplicate: true };
    }

    const blockedBy = await this.blockedBy(conn.userId, data.conversationId);
    const { events, acks, state } = accepted(
      await this.conversations.handle(
        data.conversationId,
        {
          type: 'SendMessage',
          messageId: this.ids.next(),
          senderUserId: conn.userId,
          senderDeviceId: conn.deviceId,
          clientMessageId: data.clientMessageId,
          content: await this.contentOf(conn, data),
          ...(data.replyTo ? { replyTo: data.replyTo } : {}),
          ...(data.replyToConversationId ? { replyToConversationId: data.replyToConversationId } : {}),
          ...(data.mentions ? { mentions: data.mentions } : {}),
          ...(data.forwardCount !== undefined ? { forwardCount: data.forwardCount } : {}),
          maxTextChars: this.config.MAX_MESSAGE_CHARS,
          ...(blockedBy ? { blockedBy } : {}),
        },
        { now: this.clock.now(), msgId: sendDedupId(conn.userId, conn.deviceId, data.clientMessageId) },
      ),
    );
    const ack = acks[0]!;
    const event = ack.duplicate ? await this.conversations.storedEvent(ack.stream, ack.seq) : events[0];
    if (event?.type !== 'MessageSent') throw new Error(`expected MessageSent at ${ack.stream}#${ack.seq}`);
    return {
      conversationId: event.data.conversationId,
      messageId: event.data.messageId,
      clientMessageId: data.clientMessageId,
      sentAt: event.data.sentAt,
      duplicate: ack.duplicate,
      // What a sender-key distribution was decided against: the client's next distributionVersion.
      ...(event.data.content.type === 'e2e' && state.status === 'active' && state.kind === 'group'
        ? { membersVersion: state.membersVersion }
        : {}),
    };
  }
}
