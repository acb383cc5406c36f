/** Stable codes for events that fail their schema; such an event never enters the stream. */
export type EventErrorCode =
  | 'EVENT_UNKNOWN_TYPE'
  | 'EVENT_SCHEMA_INVALID'
  | 'EVENT_VERSION_UNSUPPORTED'
  | 'EVENT_MALFORMED'
  /** A sealed personal value was read without a vault to open it. */
  | 'EVENT_SEALED'
  /** A sealed personal value does not open with its owner's key (altered, or the wrong key). */
  | 'EVENT_SEAL_BROKEN';

export class EventSchemaError extends Error {
  constructor(
    readonly code: EventErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EventSchemaError';
  }
}

/** The user was forgotten: nothing more may be sealed for them (so nothing more written about them). */
export class PersonalDataForgottenError extends Error {
  readonly code = 'USER_FORGOTTEN';
  constructor(readonly userId: string) {
    super(`user ${userId} was forgotten`);
    this.name = 'PersonalDataForgottenError';
  }
}
