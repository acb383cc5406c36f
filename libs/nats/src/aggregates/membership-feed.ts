import type { Subscription } from '@nats-io/transport-node';
import { conversationMetaWildcard, parseConversationSubject } from '#libs/events';
import type { NatsClient } from '../nats-client.js';
import type { ConversationCommandHandler } from './aggregate-handlers.js';

/**
 * Keeps a process's cached conversation states current without a read per command: one core-NATS
 * subscription on every conversation's meta subject sees each meta event as JetStream stores it, and
 * drops that conversation's cached state, so the next command folds the change in. A core message
 * carries no stream sequence, hence a drop and a reload rather than folding the event here. While the
 * connection is down changes can be missed: then nothing is trusted, and everything is dropped on
 * reconnect.
 */
export class MembershipFeed {
  private sub?: Subscription;
  private stopped = false;

  constructor(
    private readonly client: NatsClient,
    private readonly conversations: ConversationCommandHandler,
  ) {}

  async start(): Promise<void> {
    const { nc, topology } = this.client;
    this.sub = nc.subscribe(conversationMetaWildcard(topology), {
      callback: (err, msg) => {
        if (err) return;
        const where = parseConversationSubject(topology, msg.subject);
        if (where) this.conversations.forget(where.conversationId);
      },
    });
    await nc.flush(); // the server has the interest: every meta event stored from now on is seen
    this.conversations.forgetAll(); // states loaded before then may have missed a change
    this.conversations.setMembershipFollowed(true);
    void this.watch();
  }

  stop(): void {
    this.stopped = true;
    this.conversations.setMembershipFollowed(false);
    this.sub?.unsubscribe();
  }

  private async watch(): Promise<void> {
    for await (const s of this.client.nc.status()) {
      if (this.stopped) return;
      if (s.type === 'disconnect') this.conversations.setMembershipFollowed(false);
      if (s.type === 'reconnect') {
        this.conversations.forgetAll();
        this.conversations.setMembershipFollowed(true);
      }
    }
  }
}
