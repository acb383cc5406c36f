import type { ICommandHandler, IQueryHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import { UserCommandHandler } from '#libs/nats';
import { CLOCK, type Clock } from '#libs/platform';
import type { BlockList, Requests } from '#libs/protocol';
import { ApiError, accepted } from '../../http/api-error.js';
import { BlockDirectory } from '../../safety/block-directory.js';
import { EmptyDto } from '../frames.dto.js';
import { FrameCommand, FrameHandler, FrameQuery } from '../frame-handler.js';
import { BlockDto } from '../safety-frames.dto.js';

/**
 * Blocks and unblocks (UserBlocked / UserUnblocked on the user's subject). Every gateway learns the new
 * list at once (BlockDirectory's notice), which also sends the user's devices a `blocks` frame.
 */
export class BlockChangeCommand extends FrameCommand<BlockDto, Requests['block.add']['result']> {}

@FrameHandler(BlockChangeCommand, { 'block.add': BlockDto, 'block.remove': BlockDto })
export class BlockChangeHandler implements ICommandHandler<BlockChangeCommand> {
  constructor(
    private readonly users: UserCommandHandler,
    private readonly blocks: BlockDirectory,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ type, conn, data }: BlockChangeCommand): Promise<BlockList> {
    const { state, version, events } = accepted(
      await this.users.handle(
        conn.userId,
        { type: type === 'block.add' ? 'BlockUser' : 'UnblockUser', blockedUserId: data.userId },
        { now: this.clock.now() },
      ),
    );
    if (state.status !== 'active') throw new ApiError('NOT_FOUND', 'no such user');
    const blocked = [...state.blocked];
    if (events.length > 0) this.blocks.announce(conn.userId, blocked, version);
    return { blocked, version: String(version) };
  }
}

/** The caller's block list, from the aggregate (what a device reads after connecting). */
export class BlockListQuery extends FrameQuery<EmptyDto, Requests['block.list']['result']> {}

@FrameHandler(BlockListQuery, { 'block.list': EmptyDto })
export class BlockListHandler implements IQueryHandler<BlockListQuery> {
  constructor(private readonly users: UserCommandHandler) {}

  async execute({ conn }: BlockListQuery): Promise<BlockList> {
    const { state, version } = await this.users.load(conn.userId);
    return { blocked: state.status === 'active' ? [...state.blocked] : [], version: String(version) };
  }
}
