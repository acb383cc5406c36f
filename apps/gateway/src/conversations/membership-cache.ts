import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ConversationCommandHandler, MembershipFeed, NatsClient } from '#libs/nats';

/**
 * Group membership as this gateway decides sends on it: the conversation handler's cached states, kept
 * current by the meta events (MembershipFeed), so a send costs its append alone.
 */
@Injectable()
export class MembershipCache implements OnModuleInit, OnModuleDestroy {
  private readonly feed: MembershipFeed;

  constructor(nats: NatsClient, conversations: ConversationCommandHandler) {
    this.feed = new MembershipFeed(nats, conversations);
  }

  onModuleInit(): Promise<void> {
    return this.feed.start();
  }

  onModuleDestroy(): void {
    this.feed.stop();
  }
}
