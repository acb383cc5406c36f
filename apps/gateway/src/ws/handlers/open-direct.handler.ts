import type { ICommandHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import { ConversationCommandHandler, UserCommandHandler } from '#libs/nats';
import { directConversationId } from '#libs/domain';
import { CLOCK, type Clock } from '#libs/platform';
import { ApiError, accepted } from '../../http/api-error.js';
import { OpenDirectDto } from '../frames.dto.js';
import type { Requests } from '#libs/protocol';
import { FrameCommand, FrameHandler } from '../frame-handler.js';
import { E2eDevices } from '../../e2e/e2e-devices.js';

/** Opens (or finds) the 1:1 conversation with another user: a conversation of exactly two members. */
export class OpenDirectCommand extends FrameCommand<
  OpenDirectDto,
  Requests['conversation.open_direct']['result']
> {}

@FrameHandler(OpenDirectCommand, { 'conversation.open_direct': OpenDirectDto })
export class OpenDirectHandler implements ICommandHandler<OpenDirectCommand> {
  constructor(
    private readonly conversations: ConversationCommandHandler,
    private readonly users: UserCommandHandler,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly e2eDevices: E2eDevices,
  ) {}

  /** E2E by default when both users have a device with published keys (issue 17). */
  private async e2eByDefault(a: string, b: string): Promise<boolean> {
    const [x, y] = await Promise.all([this.e2eDevices.of(a), this.e2eDevices.of(b)]);
    return x.length > 0 && y.length > 0;
  }

  async execute({
    conn,
    data,
  }: OpenDirectCommand): Promise<{ conversationId: string; created: boolean; e2e: boolean }> {
    const conversationId = directConversationId(conn.userId, data.userId);
    const existing = (await this.conversations.load(conversationId)).state;
    if (existing.status === 'active') return { conversationId, created: false, e2e: existing.e2e };
    if ((await this.users.load(data.userId)).state.status !== 'active')
      throw new ApiError('NOT_FOUND', `no user ${data.userId}`);
    const e2e = data.e2e ?? (await this.e2eByDefault(conn.userId, data.userId));
    try {
      accepted(
        await this.conversations.handle(
          conversationId,
          { type: 'CreateDirectConversation', createdBy: conn.userId, peerUserId: data.userId, e2e },
          { now: this.clock.now() },
        ),
      );
      return { conversationId, created: true, e2e };
    } catch (err) {
      // Both users opened it at the same moment: the other one won, which is just as good.
      const won = (await this.conversations.load(conversationId)).state;
      if (won.status === 'active') return { conversationId, created: false, e2e: won.e2e };
      throw err;
    }
  }
}
