import type { ICommandHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import { ConversationCommandHandler } from '#libs/nats';
import type { SendMessage } from '#libs/domain';
import { CLOCK, type Clock } from '#libs/platform';
import { TimelineStore } from '#libs/read-models';
import type { MessagingConfig } from '../../gateway.config.js';
import { ApiError, accepted } from '../../http/api-error.js';
import { sanitizeFileName } from '../../media/file-name.js';
import { MediaService } from '../../media/media.service.js';
import { MessageIdService } from '../../ids/message-id.service.js';
import { MESSAGING_CONFIG } from '../../tokens.js';
import type { DeviceConnection } from '../device-connection.js';
import { SendMessageDto } from '../frames.dto.js';
import type { SendResult, Requests } from '#libs/protocol';
import { FrameCommand, FrameHandler } from '../frame-handler.js';

/**
 * The JetStream de-duplication id (Nats-Msg-Id) of a send. The client's id goes in as base64url of its
 * UTF-8 bytes: a header value is trimmed and must not hold CR/LF, and base64url is injective, so two
 * different clientMessageIds never share a Nats-Msg-Id. User and device ids are subject tokens (no dot),
 * so the dots keep the three parts apart.
 */
export function sendDedupId(userId: string, deviceId: string, clientMessageId: string): string {
  return `${userId}.${deviceId}.${Buffer.from(clientMessageId, 'utf8').toString('base64url')}`;
}

/** What a send carries besides the frame: the conversation of a quoted message from elsewhere. */
export type SendRequest = SendMessageDto & { replyToConversationId?: string };

/**
 * Appends MessageSent and answers only once JetStream stored it (SENT). The same client message id
 * from the same device always answers with the first message: JetStream's Nats-Msg-Id catches resends
 * within its window, the client_messages table any time later.
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
  ) {}

  private async contentOf(conn: DeviceConnection, data: SendRequest): Promise<SendMessage['content']> {
    if ((data.text === undefined) === (data.media === undefined))
      throw new ApiError('VALIDATION_FAILED', 'a message has either text or media', {
        fields: [{ field: 'text', problem: 'exactly one of text and media' }],
      });
    if (data.text !== undefined) return { type: 'text', text: data.text };
    const m = data.media!;
    // The name reaches other people's devices: cleaned here, where it enters.
    const fileName = m.fileName !== undefined ? sanitizeFileName(m.fileName) : undefined;
    return {
      type: 'media',
      facts: await this.media.factsFor(conn.userId, m.mediaId),
      viewOnce: m.viewOnce === true,
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
    const earlier = await this.timeline.byClientId(conn.userId, conn.deviceId, data.clientMessageId);
    if (earlier) return { ...earlier, clientMessageId: data.clientMessageId, duplicate: true };

    const { events, acks } = accepted(
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
          maxTextChars: this.config.MAX_MESSAGE_CHARS,
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
    };
  }
}
