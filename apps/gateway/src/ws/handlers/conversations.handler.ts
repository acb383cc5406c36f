import { Injectable } from '@nestjs/common';
import type { ConversationSummary } from '#libs/protocol';
import { ConversationStore, GroupStore } from '#libs/read-models';
import type { DeviceConnection } from '../device-connection.js';
import { ListConversationsDto } from '../frames.dto.js';
import type { RequestHandler } from './request-handler.js';

/** The device's user's conversations, latest activity first, with last message and unread count. */
@Injectable()
export class ConversationsHandler implements RequestHandler<'conversations.list'> {
  readonly type = 'conversations.list' as const;
  readonly dto = ListConversationsDto;

  constructor(
    private readonly rows: ConversationStore,
    private readonly groups: GroupStore,
  ) {}

  async handle(
    conn: DeviceConnection,
    data: ListConversationsDto,
  ): Promise<{ conversations: ConversationSummary[] }> {
    const conversations = await this.rows.listForUser(conn.userId, data.limit ?? 100);
    const subjects = await this.groups.subjects(
      conversations.filter((c) => c.kind === 'group').map((c) => c.conversationId),
    );
    return {
      conversations: conversations.map((c) => {
        const subject = subjects.get(c.conversationId);
        return subject ? { ...c, subject } : c;
      }),
    };
  }
}
