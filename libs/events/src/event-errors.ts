/** Stable codes for events that fail their schema; such an event never enters the stream. */
export type EventErrorCode =
  'EVENT_UNKNOWN_TYPE' | 'EVENT_SCHEMA_INVALID' | 'EVENT_VERSION_UNSUPPORTED' | 'EVENT_MALFORMED';

export class EventSchemaError extends Error {
  constructor(
    readonly code: EventErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EventSchemaError';
  }
}
