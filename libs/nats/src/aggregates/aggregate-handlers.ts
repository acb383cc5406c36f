import type { ConversationCommand, ConversationState, UserCommand, UserState } from '#libs/domain';
import type { ChatEvent, ConversationEvent, UserEvent } from '#libs/events';
import type { EventStore } from '../event-store.js';
import type { NatsClient } from '../nats-client.js';
import { AggregateCommandHandler, type AggregateHandlerOptions } from './aggregate-command-handler.js';
import { conversationAggregate } from './conversation.aggregate.js';
import { userAggregate } from './user.aggregate.js';

/**
 * The generic handler bound to each decider. They are classes only so that NestJS can inject them by
 * type; all behaviour is AggregateCommandHandler's.
 */
export class ConversationCommandHandler extends AggregateCommandHandler<
  ConversationCommand,
  ConversationState,
  ConversationEvent
> {
  private readonly membership: { followed: boolean };

  constructor(client: NatsClient, store: EventStore<ChatEvent>, options?: AggregateHandlerOptions) {
    const membership = { followed: false };
    super(
      store as EventStore<ConversationEvent>,
      conversationAggregate(client.topology, () => membership.followed),
      options,
    );
    this.membership = membership;
  }

  /**
   * Keeps cached group membership current from the meta subjects (MembershipFeed): while it runs, a
   * group's send is decided on the cached state without asking the log first.
   */
  setMembershipFollowed(followed: boolean): void {
    this.membership.followed = followed;
  }
}

export class UserCommandHandler extends AggregateCommandHandler<UserCommand, UserState, UserEvent> {
  constructor(client: NatsClient, store: EventStore<ChatEvent>, options?: AggregateHandlerOptions) {
    super(store as EventStore<UserEvent>, userAggregate(client.topology), options);
  }

  /** Whether an account exists: one direct get of its subject's last event. */
  async exists(userId: string): Promise<boolean> {
    return (await this.version(userId)) > 0;
  }
}
