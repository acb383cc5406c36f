/** Header names on every event message, readable in `nats stream view`. */
export const EVENT_HEADERS = {
  type: 'Chat-Event-Type',
  version: 'Chat-Event-Version',
  eventId: 'Chat-Event-Id',
  /** JetStream's own de-duplication header. */
  msgId: 'Nats-Msg-Id',
} as const;
