/** E.164: a plus, a country code that does not start with 0, at most 15 digits in all. */
const E164 = /^\+[1-9]\d{6,14}$/;
/** What address books put between digits: spaces of every kind, dashes, dots, slashes, parentheses. */
const SEPARATORS = /[\s\u00a0\u2000-\u200b\u202f\u3000\-‐‑‒–—./()]/gu;

/**
 * An address-book number in E.164, or undefined when it cannot be one. International forms (`+44 20 …`,
 * `0044 20 …`) keep their country code; a national number (`(415) 555-0123`, `020 7946 0018`) takes the
 * uploader's `defaultCountryCode` after its trunk prefix `0` is dropped. Letters, extensions and anything
 * else that is not a digit make the number invalid rather than guessed at.
 */
export function toE164(raw: string, defaultCountryCode?: string): string | undefined {
  const compact = raw.trim().replace(SEPARATORS, '');
  let candidate: string;
  if (compact.startsWith('+')) candidate = compact;
  else if (compact.startsWith('00')) candidate = `+${compact.slice(2)}`;
  else if (defaultCountryCode !== undefined && /^\d+$/.test(compact))
    candidate = `+${defaultCountryCode}${compact.replace(/^0/, '')}`;
  else return undefined;
  return E164.test(candidate) ? candidate : undefined;
}
