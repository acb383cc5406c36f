import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { UserEventsAppended } from '../aggregates/appended-events.js';
import { PresenceAccess } from './presence-access.js';

/**
 * A privacy change appended here is judged with at once by this gateway (other gateways learn it from
 * the live presence update and the read model). EventBus handlers run synchronously on publish, so the
 * setting is known before the command that changed it answers.
 */
@EventsHandler(UserEventsAppended)
export class PrivacyLearnerHandler implements IEventHandler<UserEventsAppended> {
  constructor(private readonly access: PresenceAccess) {}

  handle({ userId, events }: UserEventsAppended): void {
    for (const { event, streamSequence } of events)
      if (event.type === 'PrivacySettingsChanged')
        this.access.learnPrivacy(
          userId,
          { lastSeen: event.data.lastSeen, online: event.data.online },
          streamSequence,
        );
  }
}
