import type { ICommandHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import { directConversationId, directPeerOf, type ReportUser } from '#libs/domain';
import type { ReportedMessage, ReportTarget } from '#libs/events';
import { ConversationCommandHandler, UserCommandHandler } from '#libs/nats';
import { CLOCK, type Clock } from '#libs/platform';
import type { Requests } from '#libs/protocol';
import { requireMember } from '../../conversations/member-access.js';
import { ApiError, accepted } from '../../http/api-error.js';
import { MessageIdService } from '../../ids/message-id.service.js';
import { BlockDirectory } from '../../safety/block-directory.js';
import { ReportEvidence } from '../../safety/report-evidence.js';
import { FrameCommand, FrameHandler } from '../frame-handler.js';
import { ReportDto } from '../safety-frames.dto.js';
import type { DeviceConnection } from '../device-connection.js';

/**
 * A report to the operators (UserReported on the reporter's subject; `chatctl reports`), with up to 5
 * messages of the conversation (copied from the timeline, or supplied by the client for E2E ones), and
 * optionally a block of the reported account in the same append.
 */
export class ReportCommand extends FrameCommand<ReportDto, Requests['report.create']['result']> {}

@FrameHandler(ReportCommand, { 'report.create': ReportDto })
export class ReportHandler implements ICommandHandler<ReportCommand> {
  constructor(
    private readonly users: UserCommandHandler,
    private readonly conversations: ConversationCommandHandler,
    private readonly evidence: ReportEvidence,
    private readonly blocks: BlockDirectory,
    private readonly ids: MessageIdService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ conn, data }: ReportCommand): Promise<Requests['report.create']['result']> {
    if ((data.userId === undefined) === (data.conversationId === undefined))
      throw new ApiError('VALIDATION_FAILED', 'report either a userId or a conversationId', {
        fields: [{ field: 'userId', problem: 'exactly one of userId and conversationId' }],
      });
    if (data.messageIds && data.messages)
      throw new ApiError('VALIDATION_FAILED', 'either messageIds (copied by the server) or messages (E2E)', {
        fields: [{ field: 'messages', problem: 'not with messageIds' }],
      });
    const target: ReportTarget = data.userId
      ? { kind: 'user', userId: data.userId }
      : { kind: 'conversation', conversationId: data.conversationId! };
    if (target.kind === 'user' && !(await this.users.exists(target.userId)))
      throw new ApiError('NOT_FOUND', 'no such user');
    const attached = await this.attached(conn, target, data);
    const peer = target.kind === 'user' ? target.userId : directPeerOf(target.conversationId, conn.userId);
    if (data.block && peer === undefined)
      throw new ApiError(
        'VALIDATION_FAILED',
        'block needs a user: report the member, or a direct conversation',
        {
          fields: [{ field: 'block', problem: 'no single user to block in a group' }],
        },
      );
    const reported = new Set(attached.map((m) => m.senderUserId));
    if (peer !== undefined) reported.add(peer);
    reported.delete(conn.userId);
    const command: ReportUser = {
      type: 'ReportUser',
      reportId: this.ids.next(),
      target,
      reportedUserIds: [...reported].slice(0, 6),
      reason: data.reason,
      ...(data.comment !== undefined ? { comment: data.comment } : {}),
      messages: attached,
      ...(data.block && peer !== undefined ? { block: peer } : {}),
    };
    const { state, version, events } = accepted(
      await this.users.handle(conn.userId, command, { now: this.clock.now() }),
    );
    const blocked = events.some((e) => e.type === 'UserBlocked');
    if (blocked && state.status === 'active') this.blocks.announce(conn.userId, [...state.blocked], version);
    return { reportId: command.reportId, blocked: data.block === true && peer !== undefined };
  }

  /** The messages attached, from the conversation reported (or the direct one with the user reported). */
  private async attached(
    conn: DeviceConnection,
    target: ReportTarget,
    data: ReportDto,
  ): Promise<ReportedMessage[]> {
    const conversationId =
      target.kind === 'conversation'
        ? target.conversationId
        : directConversationId(conn.userId, target.userId);
    if (target.kind === 'conversation' || data.messageIds || data.messages) {
      const { state } = await this.conversations.load(conversationId);
      requireMember(state, conn.userId);
    }
    if (data.messageIds) return this.evidence.copied(conversationId, conn.userId, data.messageIds);
    if (data.messages) return this.evidence.supplied(conversationId, data.messages);
    return [];
  }
}
