import type { ErrorCode } from '#libs/protocol';
import type { DomainError } from '#libs/domain';
import { ConcurrencyError } from '#libs/nats';

const STATUS: Partial<Record<ErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  CODE_INVALID: 400,
  MESSAGE_TOO_LARGE: 400,
  UNAUTHENTICATED: 401,
  TOKEN_EXPIRED: 401,
  DEVICE_REVOKED: 401,
  FORBIDDEN: 403,
  NOT_A_MEMBER: 403,
  NOT_AN_ADMIN: 403,
  ALREADY_A_MEMBER: 409,
  GROUP_FULL: 409,
  PRESENCE_HIDDEN: 403,
  USER_FORGOTTEN: 403,
  PROFILE_NAME_REQUIRED: 403,
  CONTACT_LIMIT: 409,
  NOT_THE_SENDER: 403,
  ACTION_WINDOW_OVER: 409,
  FORWARDED_MANY_TIMES: 409,
  PIN_LIMIT: 409,
  MEDIA_TOO_LONG: 413,
  BLOCKED: 403,
  BLOCK_LIMIT: 409,
  CODE_NOT_SENT: 502,
  NOT_FOUND: 404,
  DEVICE_LIMIT: 409,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  MEDIA_TOO_LARGE: 413,
  MEDIA_TYPE_NOT_ALLOWED: 415,
  MEDIA_CHECKSUM_MISMATCH: 422,
  MEDIA_NOT_READY: 409,
  MEDIA_NOT_ACCESSIBLE: 403,
  MEDIA_GONE: 410,
  E2E_DEVICES_MISMATCH: 409,
  SENDER_KEY_STALE: 409,
  IDENTITY_KEY_MISMATCH: 409,
  E2E_REQUIRED: 409,
};

/** An expected failure with a stable code; the edge maps it to an HTTP status or an error frame. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get status(): number {
    return STATUS[this.code] ?? 500;
  }

  static fromDomain(error: DomainError): ApiError {
    const code: ErrorCode = error.code === 'ALREADY_EXISTS' ? 'VALIDATION_FAILED' : error.code;
    return new ApiError(code, error.message, error.details);
  }
}

/** A command's outcome at the edge: the accepted result, or its rejection thrown as an ApiError. */
export function accepted<T extends { readonly ok: true }>(
  outcome: T | { readonly ok: false; readonly error: DomainError },
): T {
  if (!outcome.ok) throw ApiError.fromDomain(outcome.error);
  return outcome;
}

/** The stable answer to a failure that is expected but not the domain's; undefined for the rest. */
export function expectedFailure(err: unknown): ApiError | undefined {
  if (err instanceof ApiError) return err;
  // Conflicts outlasted the aggregate handler's retries: a hot aggregate, worth another try later.
  if (err instanceof ConcurrencyError)
    return new ApiError(
      'UNAVAILABLE',
      'too many concurrent changes to this conversation or account; try again',
    );
  return undefined;
}
