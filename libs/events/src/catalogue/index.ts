import { EventCodec } from '../codec.js';
import type { EventDefinition } from '../event-definition.js';
import { conversationEvents, type ConversationEvent } from './conversation.events.js';
import { groupEvents } from './group.events.js';
import { messageActionEvents } from './message-action.events.js';
import { e2eConversationEvents } from './e2e.events.js';
import { disappearingEvents } from './disappearing.events.js';
import { presenceEvents, type PresenceEvent } from './presence.events.js';
import { userEvents, type UserEvent } from './user.events.js';

export * from './ids.schema.js';
export * from './conversation.events.js';
export * from './group.events.js';
export * from './message-action.events.js';
export * from './coordinates.js';
export * from './conversation-prefs.events.js';
export * from './e2e.events.js';
export * from './disappearing.events.js';
export * from './user.events.js';
export * from './profile.events.js';
export * from './contact.events.js';
export * from './safety.events.js';
export * from './presence.events.js';

export type ChatEvent = ConversationEvent | UserEvent | PresenceEvent;
export type ChatEventType = ChatEvent['type'];

/** Every event type the system writes: docs/events.md is checked against this list. */
export const eventCatalogue: readonly EventDefinition[] = [
  ...conversationEvents,
  ...groupEvents,
  ...messageActionEvents,
  ...e2eConversationEvents,
  ...disappearingEvents,
  ...userEvents,
  ...presenceEvents,
];

export const chatEventCodec = new EventCodec<ChatEvent>(eventCatalogue);
