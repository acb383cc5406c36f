import { Injectable } from '@nestjs/common';
import type { ReportedMessage } from '#libs/events';
import type { ReportedMessageInput } from '#libs/protocol';
import { TimelineStore } from '#libs/read-models';
import { MessageRefs } from '../conversations/message-refs.js';
import { ApiError } from '../http/api-error.js';

/**
 * The messages a reporter attaches. For a plaintext conversation the server copies them from the
 * timeline (what the reporter could read: a message withheld from them is not found), so a report
 * cannot put words in anyone's mouth. For an E2E conversation only the reporter's client can read them:
 * it supplies the text, and the server checks that each message exists there from the sender named.
 * A message goes out live before its rows are written: one not found yet is looked up again once what
 * this gateway received live of its partition is persisted (MessageRefs; a report right after the
 * message arrived).
 */
@Injectable()
export class ReportEvidence {
  constructor(
    private readonly timeline: TimelineStore,
    private readonly refs: MessageRefs,
  ) {}

  /** The message as the reporter may read it, if its rows are written. */
  private async readable(conversationId: string, reporterId: string, messageId: string) {
    const ref = await this.timeline.ref(conversationId, messageId);
    if (!ref) return undefined;
    const [m] = await this.timeline.page(conversationId, {
      afterSeq: ref.seq - 1,
      limit: 1,
      lastSeq: ref.seq,
      viewerId: reporterId,
    });
    return m?.messageId === messageId ? m : undefined;
  }

  async copied(
    conversationId: string,
    reporterId: string,
    messageIds: readonly string[],
  ): Promise<ReportedMessage[]> {
    return Promise.all(
      [...new Set(messageIds)].map(async (messageId) => {
        const m = await this.refs.persisted(conversationId, () =>
          this.readable(conversationId, reporterId, messageId),
        );
        if (!m || m.system)
          throw new ApiError('NOT_FOUND', `no message ${messageId} in this conversation`, { messageId });
        return {
          messageId,
          senderUserId: m.senderUserId,
          sentAt: m.sentAt,
          ...(m.text !== '' ? { text: m.text } : {}),
          ...(m.media?.caption ? { text: m.media.caption } : {}),
          ...(m.media ? { mediaId: m.media.mediaId } : {}),
          source: 'server' as const,
        };
      }),
    );
  }

  async supplied(
    conversationId: string,
    messages: readonly ReportedMessageInput[],
  ): Promise<ReportedMessage[]> {
    return Promise.all(
      messages.map(async (m) => {
        const ref = await this.refs.of(conversationId, m.messageId);
        if (!ref || ref.senderUserId !== m.senderUserId)
          throw new ApiError(
            'NOT_FOUND',
            `no message ${m.messageId} from ${m.senderUserId} in this conversation`,
            {
              messageId: m.messageId,
            },
          );
        return {
          messageId: m.messageId,
          senderUserId: m.senderUserId,
          ...(m.text !== undefined ? { text: m.text } : {}),
          source: 'client' as const,
        };
      }),
    );
  }
}
