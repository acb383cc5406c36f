import { Inject, Injectable } from '@nestjs/common';
import { ConversationCommandHandler, UserCommandHandler } from '#libs/nats';
import type { ConversationCommand } from '#libs/domain';
import { CLOCK, type Clock } from '#libs/platform';
import type { GroupChangeResult } from '#libs/protocol';
import type { GroupsConfig } from '../gateway.config.js';
import { ApiError, accepted } from '../http/api-error.js';
import { MessageIdService } from '../ids/message-id.service.js';
import { BlockDirectory } from '../safety/block-directory.js';
import { GROUPS_CONFIG } from '../tokens.js';

const EXISTS_CONCURRENCY = 64;

/**
 * Runs a group command through the conversation aggregate handler (optimistic concurrency on the `.meta`
 * subject, re-decided on a conflict) with a fresh id for the system message it will post.
 */
@Injectable()
export class GroupCommands {
  constructor(
    private readonly conversations: ConversationCommandHandler,
    private readonly users: UserCommandHandler,
    private readonly ids: MessageIdService,
    private readonly blocks: BlockDirectory,
    @Inject(GROUPS_CONFIG) readonly config: Readonly<GroupsConfig>,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async run(
    conversationId: string,
    command: (systemMessageId: string) => ConversationCommand,
  ): Promise<GroupChangeResult> {
    const { acks } = accepted(
      await this.conversations.handle(conversationId, command(this.ids.next()), { now: this.clock.now() }),
    );
    return { conversationId, version: acks.at(-1)?.seq ?? 0 };
  }

  /**
   * NOT_FOUND naming every id that is no account, before a group takes them in; BLOCKED naming those who
   * blocked `by`, the member adding them (issue 18: a blocked user cannot add the blocker to groups).
   */
  async requireUsers(userIds: readonly string[], by?: string): Promise<void> {
    await this.requireAccounts(userIds);
    if (by === undefined) return;
    for (let i = 0; i < userIds.length; i += EXISTS_CONCURRENCY)
      await this.blocks.refuseBlockedBy(by, userIds.slice(i, i + EXISTS_CONCURRENCY));
  }

  private async requireAccounts(userIds: readonly string[]): Promise<void> {
    const missing: string[] = [];
    for (let i = 0; i < userIds.length; i += EXISTS_CONCURRENCY) {
      const batch = userIds.slice(i, i + EXISTS_CONCURRENCY);
      const found = await Promise.all(batch.map((u) => this.users.exists(u)));
      batch.forEach((u, j) => {
        if (!found[j]) missing.push(u);
      });
    }
    if (missing.length > 0)
      throw new ApiError('NOT_FOUND', `no such user: ${missing.slice(0, 10).join(', ')}`, {
        userIds: missing,
      });
  }
}
