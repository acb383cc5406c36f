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
  'PROFILE_NAME_REQUIRED',
  'CONTACT_LIMIT',
  'CODE_NOT_SENT',
  'NOT_THE_SENDER',
  'ACTION_WINDOW_OVER',
  'FORWARDED_MANY_TIMES',
  'PIN_LIMIT',
  'MEDIA_TOO_LONG',
  'BLOCK_LIMIT',
  'BLOCKED',
  // End-to-end encryption (issue 17): the envelopes do not match the conversation's devices, the
  // sender key predates a membership change, a linked device's identity key is not the account's.
  'E2E_DEVICES_MISMATCH',
  'SENDER_KEY_STALE',
  'IDENTITY_KEY_MISMATCH',
  'E2E_REQUIRED',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorBody {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}
