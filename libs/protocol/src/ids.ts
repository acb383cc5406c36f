/**
 * Shapes of the ids a client sends. One definition for the gateway's DTOs and the client SDK, so no
 * two spellings of one id can reach a handler.
 */

/** The largest message id: ids are signed 64-bit integers (Cassandra bigint). */
export const MAX_MESSAGE_ID = 2n ** 63n - 1n;

const CANONICAL_DECIMAL = /^[1-9]\d{0,18}$/;

/**
 * A message id is a positive decimal in the signed 64-bit range, written canonically (no sign, no
 * leading zeros): `id + 2^64` or `007` would otherwise alias a real message once the driver wraps it.
 */
export function isMessageId(value: unknown): value is string {
  return typeof value === 'string' && CANONICAL_DECIMAL.test(value) && BigInt(value) <= MAX_MESSAGE_ID;
}

export const CLIENT_MESSAGE_ID_MAX_CHARS = 64;

/**
 * Printable characters only: no control or format characters (\p{C} also covers unassigned and
 * private-use code points and lone surrogates), no line or paragraph separators, and no whitespace at
 * either end (`k` and `k ` are different values that transports which trim would merge).
 */
const CLIENT_MESSAGE_ID = /^(?![\s])[^\p{C}\p{Zl}\p{Zp}]*(?<![\s])$/u;

/** A clientMessageId: 1-64 printable characters, no whitespace at the ends. */
export function isClientMessageId(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length >= 1 &&
    value.length <= CLIENT_MESSAGE_ID_MAX_CHARS &&
    CLIENT_MESSAGE_ID.test(value)
  );
}
