import { z } from 'zod';

/** Ids that appear in subjects are single NATS tokens. */
export const tokenId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'an id of 1-64 letters, digits, _ or -');
/** Snowflake message ids travel as decimal strings (64-bit values do not fit a JSON number). */
export const snowflakeId = z.string().regex(/^[1-9]\d{0,19}$/, 'a 64-bit snowflake id as a decimal string');
export const isoTime = z.iso.datetime({ offset: true });
export const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'an E.164 phone number such as +14155550123');
