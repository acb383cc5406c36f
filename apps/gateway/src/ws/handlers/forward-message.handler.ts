import { Inject } from '@nestjs/common';
import type { ICommandHandler } from '@nestjs/cqrs';
import { ConversationCommandHandler } from '#libs/nats';
import { CLOCK, type Clock } from '#libs/platform';
import { decideForward, type ForwardSource } from '#libs/domain';
import type { Requests, SendResult } from '#libs/protocol';
import { MessageActionStore, storedMessageKind, type ActionTarget } from '#libs/read-models';
import type { MessagingConfig } from '../../gateway.config.js';
import { MESSAGING_CONFIG } from '../../tokens.js';
import { LiveSessions } from '../live-sessions.js';
import { ApiError } from '../../http/api-error.js';
import { requireMember } from '../../conversations/member-access.js';
import { ForwardMessageDto } from '../message-action-frames.dto.js';
import { FrameCommand, FrameHandler } from '../frame-handler.js';
import { MessageActionBase } from './message-actions.handler.js';
import { SendMessageHandler, type SendRequest } from './send-message.handler.js';

export class ForwardMessageCommand extends FrameCommand<
  ForwardMessageDto,
  Requests['message.forward']['result']
> {}

/** What decideForward needs of the message (undefined: not in the conversation). */
function forwardSourceOf(target: ActionTarget | undefined): ForwardSource | undefined {
  if (!target) return undefined;
  const m = target.message;
  return {
    kind: storedMessageKind(m),
    deleted: m.deleted !== undefined,
    viewOnce: m.media?.viewOnce === true,
    forwardCount: m.forwardCount ?? 0,
  };
}

/**
 * Forwards a message (issue 19): one MessageSent per chat, each decided by the conversation decider like
 * any send and idempotent by its own clientMessageId, carrying the copy's hop count (forwarded mark,
 * "forwarded many times" from FORWARDED_MANY_TIMES on). Media is forwarded as a reference to the stored
 * object, which the sender may send because it was sent to them.
 */
@FrameHandler(ForwardMessageCommand, { 'message.forward': ForwardMessageDto })
export class ForwardMessageHandler
  extends MessageActionBase
  implements ICommandHandler<ForwardMessageCommand>
{
  constructor(
    conversations: ConversationCommandHandler,
    store: MessageActionStore,
    live: LiveSessions,
    @Inject(MESSAGING_CONFIG) config: Readonly<MessagingConfig>,
    @Inject(CLOCK) clock: Clock,
    private readonly sender: SendMessageHandler,
  ) {
    super(conversations, store, live, config, clock);
  }

  async execute({ conn, data }: ForwardMessageCommand): Promise<{ forwards: SendResult[] }> {
    const chats = new Set(data.to.map((t) => t.conversationId));
    if (chats.size !== data.to.length) throw new ApiError('VALIDATION_FAILED', 'each chat once');
    const target = await this.target(conn, data.fromConversationId, data.messageId);
    const decision = decideForward(forwardSourceOf(target), data.to.length);
    if (!decision.ok) throw ApiError.fromDomain(decision.error);
    const { forwardCount } = decision;
    // Every chat is checked before the first copy goes, so a stranger's chat sends nothing at all.
    for (const to of data.to)
      requireMember((await this.conversations.load(to.conversationId)).state, conn.userId);
    const m = target!.message;
    const forwards: SendResult[] = [];
    for (const to of data.to) forwards.push(await this.sender.send(conn, copyOf(m, to, forwardCount)));
    return { forwards };
  }
}

function copyOf(
  m: ActionTarget['message'],
  to: { conversationId: string; clientMessageId: string },
  forwardCount: number,
): SendRequest {
  const base = { conversationId: to.conversationId, clientMessageId: to.clientMessageId, forwardCount };
  if (m.location) {
    // A live location is forwarded as the point it shows now.
    const { latitude, longitude, name, address } = m.location;
    return {
      ...base,
      location: {
        latitude,
        longitude,
        ...(name !== undefined ? { name } : {}),
        ...(address !== undefined ? { address } : {}),
      },
    };
  }
  if (!m.media) return { ...base, text: m.text };
  const { mediaId, caption, thumbnail, blurhash, durationSeconds, fileName } = m.media;
  return {
    ...base,
    media: {
      mediaId,
      ...(caption !== undefined ? { caption } : {}),
      ...(thumbnail !== undefined ? { thumbnail } : {}),
      ...(blurhash !== undefined ? { blurhash } : {}),
      ...(durationSeconds !== undefined ? { durationSeconds } : {}),
      ...(fileName !== undefined ? { fileName } : {}),
    },
  };
}
