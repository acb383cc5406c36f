import type { ICommandHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import { ConversationCommandHandler } from '#libs/nats';
import { CLOCK, type Clock } from '#libs/platform';
import { TimelineStore } from '#libs/read-models';
import { ApiError, accepted } from '../../http/api-error.js';
import { MarkReadDto } from '../frames.dto.js';
import { requireMember } from '../../conversations/member-access.js';
import type { Requests } from '#libs/protocol';
import { FrameCommand, FrameHandler } from '../frame-handler.js';
import { MessageRefs } from '../../conversations/message-refs.js';

/** Appends MessageRead: a "read up to" marker per conversation (blue ticks for the senders). */
export class ReadCommand extends FrameCommand<MarkReadDto, Requests['message.read']['result']> {}

@FrameHandler(ReadCommand, { 'message.read': MarkReadDto })
export class ReadHandler implements ICommandHandler<ReadCommand> {
  constructor(
    private readonly conversations: ConversationCommandHandler,
    private readonly timeline: TimelineStore,
    private readonly refs: MessageRefs,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ conn, data }: ReadCommand): Promise<Record<string, never>> {
    const { state } = await this.conversations.load(data.conversationId);
    requireMember(state, conn.userId);
    if (!(await this.refs.of(data.conversationId, data.upToMessageId))) {
      throw new ApiError('NOT_FOUND', `no message ${data.upToMessageId} in this conversation`);
    }
    accepted(
      await this.conversations.handle(
        data.conversationId,
        { type: 'MarkRead', userId: conn.userId, deviceId: conn.deviceId, upToMessageId: data.upToMessageId },
        { now: this.clock.now() },
      ),
    );
    return {};
  }
}
