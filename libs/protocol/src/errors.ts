/** Stable error codes of the WebSocket protocol and the HTTP API (docs/protocol.md). */
export const ERROR_CODES = [
  'MALFORMED_FRAME',
  'UNKNOWN_FRAME_TYPE',
  'FRAME_TOO_LARGE',
  'VALIDATION_FAILED',
  'MESSAGE_TOO_LARGE',
  'NOT_A_MEMBER',
  'NOT_FOUND',
  'RATE_LIMITED',
  'UNAVAILABLE',
  'INTERNAL',
  'UNAUTHENTICATED',
  'TOKEN_EXPIRED',
  'DEVICE_REVOKED',
  'FORBIDDEN',
  'CODE_INVALID',
  'DEVICE_LIMIT',
  'MEDIA_TOO_LARGE',
  'MEDIA_TYPE_NOT_ALLOWED',
  'MEDIA_CHECKSUM_MISMATCH',
  'MEDIA_NOT_READY',
  'MEDIA_NOT_ACCESSIBLE',
  'MEDIA_GONE',
  'NOT_AN_ADMIN',
  'ALREADY_A_MEMBER',
  'GROUP_FULL',
  'PRESENCE_HIDDEN',
  'USER_FORGOTTEN',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorBody {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}
