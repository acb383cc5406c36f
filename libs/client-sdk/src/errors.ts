import type { ErrorCode } from '#libs/protocol';

/** A failure the server reported (with its stable code), or the SDK's own TIMEOUT. */
export class ChatError extends Error {
  constructor(
    readonly code: ErrorCode | 'TIMEOUT',
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
    /** The HTTP status, for errors of the HTTP API. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ChatError';
  }
}
