import { Inject, Injectable } from '@nestjs/common';
import { ConversationCommandHandler } from '#libs/nats';
import { CLOCK, type Clock } from '#libs/platform';
import { ConversationStore } from '#libs/read-models';
import { MessageIdService } from '../ids/message-id.service.js';

/** Conversations handled at once when a user's identity key changed. */
const CONCURRENCY = 8;
/** Conversations of one user looked at (lists are bounded in practice far below this). */
const MAX_CONVERSATIONS = 100_000;

/**
 * When a user's identity key is replaced, every conversation of theirs gets a "security code changed"
 * system message (a SecurityCodeChanged meta event), so their contacts and fellow members see it where
 * they talk. Run by the gateway that accepted the new key, before it answers: a crash in between leaves
 * some conversations without the notice (the key itself is changed; clients also notice a new identity
 * when their next session starts).
 */
@Injectable()
export class SecurityCodeNotices {
  constructor(
    private readonly conversations: ConversationCommandHandler,
    private readonly lists: ConversationStore,
    private readonly ids: MessageIdService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async identityChanged(userId: string): Promise<number> {
    const ids = (await this.lists.listForUser(userId, MAX_CONVERSATIONS)).map((c) => c.conversationId);
    let next = 0;
    let posted = 0;
    await Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, ids.length) }, async () => {
        for (let i = next++; i < ids.length; i = next++) {
          const r = await this.conversations.handle(
            ids[i]!,
            { type: 'NoteSecurityCodeChanged', userId, systemMessageId: this.ids.next() },
            { now: this.clock.now() },
          );
          if (r.ok) posted++; // refused: the user left that group meanwhile
        }
      }),
    );
    return posted;
  }
}
