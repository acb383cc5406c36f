/** Durable consumer names, as operators see them in `nats consumer ls <stream>`. */
export const DURABLES = {
  /** On every CHAT_<p>: timelines, inboxes, receipts, conversation lists. */
  projectorConversations: 'projector-conversations',
  /** On USERS: users and devices. */
  projectorUsers: 'projector-users',
  /** On every CHAT_<p>: push notifications for MessageSent to devices that are offline. */
  notifierMessages: 'notifier-messages',
  /** On PRESENCE: last seen in Cassandra. */
  projectorPresence: 'projector-presence',
} as const;
