import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '#libs/platform';
import { TimelineStore } from '#libs/read-models';
import { ConversationRepository } from '../../conversations/conversation.repository.js';
import { ApiError } from '../../http/api-error.js';
import type { DeviceConnection } from '../device-connection.js';
import { MarkReadDto } from '../frames.dto.js';
import type { RequestHandler } from './request-handler.js';
import { requireMember } from '../../conversations/member-access.js';

/** Appends MessageRead: a "read up to" marker per conversation (blue ticks for the senders). */
@Injectable()
export class ReadHandler implements RequestHandler<'message.read'> {
  readonly type = 'message.read' as const;
  readonly dto = MarkReadDto;

  constructor(
    private readonly conversations: ConversationRepository,
    private readonly timeline: TimelineStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async handle(conn: DeviceConnection, data: MarkReadDto): Promise<Record<string, never>> {
    const { state } = await this.conversations.load(data.conversationId);
    requireMember(state, conn.userId);
    if (!(await this.timeline.ref(data.conversationId, data.upToMessageId))) {
      throw new ApiError('NOT_FOUND', `no message ${data.upToMessageId} in this conversation`);
    }
    await this.conversations.execute(
      data.conversationId,
      { type: 'MarkRead', userId: conn.userId, deviceId: conn.deviceId, upToMessageId: data.upToMessageId },
      this.clock.now(),
    );
    return {};
  }
}
