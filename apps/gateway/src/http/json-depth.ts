import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_JSON_DEPTH } from '#libs/protocol';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether JSON text nests objects and arrays deeper than `max`, from its bytes alone (brackets inside
 * strings do not count). It runs before anything walks the parsed value: class-transformer and
 * class-validator recurse per level and overflow the stack on deep input, so the limit must come first.
 * Not a validator: malformed text is left to JSON.parse.
 */
export function nestsDeeperThan(json: Uint8Array, max: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const byte = json[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) depth--;
  }
  return false;
}

export const tooDeepMessage = `the JSON nests deeper than ${MAX_JSON_DEPTH} levels`;

/**
 * body-parser's `verify` hook for every JSON body of the HTTP API. The error is http-errors shaped
 * (status 400), so the API error filter answers it as VALIDATION_FAILED like any malformed body.
 */
export function refuseDeepJson(_req: IncomingMessage, _res: ServerResponse, body: Buffer): void {
  if (nestsDeeperThan(body))
    throw Object.assign(new Error(tooDeepMessage), { status: 400, type: 'entity.too.deep' });
}
