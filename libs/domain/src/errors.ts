/** Expected failures of a command: returned as values, mapped to frames or statuses only at the edge. */
export type DomainErrorCode =
  | 'NOT_A_MEMBER'
  | 'NOT_FOUND'
  | 'VALIDATION_FAILED'
  | 'MESSAGE_TOO_LARGE'
  | 'DEVICE_LIMIT'
  | 'FORBIDDEN'
  | 'ALREADY_EXISTS'
  | 'MEDIA_NOT_READY'
  | 'MEDIA_NOT_ACCESSIBLE'
  | 'NOT_AN_ADMIN'
  | 'ALREADY_A_MEMBER'
  | 'GROUP_FULL'
  | 'USER_FORGOTTEN'
  | 'CONTACT_LIMIT'
  | 'NOT_THE_SENDER'
  | 'ACTION_WINDOW_OVER'
  | 'FORWARDED_MANY_TIMES'
  | 'PIN_LIMIT'
  | 'MEDIA_TOO_LONG'
  | 'BLOCK_LIMIT'
  | 'BLOCKED'
  | 'E2E_DEVICES_MISMATCH'
  | 'SENDER_KEY_STALE'
  | 'IDENTITY_KEY_MISMATCH'
  | 'E2E_REQUIRED';

export class DomainError {
  constructor(
    readonly code: DomainErrorCode,
    readonly message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {}
}

export type Decision<E> =
  { readonly ok: true; readonly events: readonly E[] } | { readonly ok: false; readonly error: DomainError };

export const accept = <E>(...events: E[]): Decision<E> => ({ ok: true, events });
export const reject = <E>(
  code: DomainErrorCode,
  message: string,
  details?: Record<string, unknown>,
): Decision<E> => ({
  ok: false,
  error: new DomainError(code, message, details),
});

/** What a command brings besides its data, so deciders stay deterministic: time and fresh ids. */
export interface CommandContext {
  readonly now: Date;
  readonly newEventId: () => string;
}

/** The error of a rejection, for helpers that decide part of a command. */
export function rejected(decision: Decision<unknown>): { ok: false; error: DomainError } {
  if (decision.ok) throw new Error('rejected() called on an accepted decision');
  return decision;
}
