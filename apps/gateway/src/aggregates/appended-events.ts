import { Injectable, type OnModuleInit } from '@nestjs/common';
import { EventBus, type IEvent } from '@nestjs/cqrs';
import type { ConversationEvent, StoredEvent, UserEvent } from '#libs/events';
import { ConversationCommandHandler, UserCommandHandler } from '#libs/nats';

/** Events this gateway appended to a user aggregate (its own appends only: other processes read JetStream). */
export class UserEventsAppended implements IEvent {
  constructor(
    readonly userId: string,
    readonly events: readonly StoredEvent<UserEvent>[],
  ) {}
}

/** Events this gateway appended to a conversation. */
export class ConversationEventsAppended implements IEvent {
  constructor(
    readonly conversationId: string,
    readonly events: readonly StoredEvent<ConversationEvent>[],
  ) {}
}

/**
 * Hands what the aggregate handlers append to @nestjs/cqrs's EventBus, for caches of this process that
 * follow the aggregates (an @EventsHandler each). JetStream stays the only bus between processes.
 */
@Injectable()
export class AppendedEventsPublisher implements OnModuleInit {
  constructor(
    private readonly users: UserCommandHandler,
    private readonly conversations: ConversationCommandHandler,
    private readonly bus: EventBus,
  ) {}

  onModuleInit(): void {
    this.users.onAppended((id, events) => this.bus.publish(new UserEventsAppended(id, events)));
    this.conversations.onAppended((id, events) =>
      this.bus.publish(new ConversationEventsAppended(id, events)),
    );
  }
}
