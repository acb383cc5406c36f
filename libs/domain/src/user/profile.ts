import type { PresenceAudience } from '../presence/presence-visibility.js';

export const DISPLAY_NAME_MAX = 25;
export const ABOUT_MAX = 139;

/** Who sees a user's avatar and about line. Display names are seen by everyone (pushes show them). */
export interface ProfilePrivacy {
  readonly avatar: PresenceAudience;
  readonly about: PresenceAudience;
}

export const DEFAULT_PROFILE_PRIVACY: ProfilePrivacy = Object.freeze({
  avatar: 'everyone',
  about: 'everyone',
});

export interface Profile {
  readonly displayName?: string;
  readonly about: string;
  readonly avatarId?: string;
  readonly privacy: ProfilePrivacy;
}

export const EMPTY_PROFILE: Profile = Object.freeze({ about: '', privacy: DEFAULT_PROFILE_PRIVACY });

// Control characters (C0, C1, DEL) and line or paragraph separators have no place in a one-line text.
const FORBIDDEN = /[\p{Cc}\u2028\u2029]/u;
// What renders as nothing: white space, format characters (zero-width joiners, direction marks, the
// invisible separators), combining marks alone, the Hangul fillers and the braille blank.
const INVISIBLE = /^[\s\p{Cf}\p{Mn}\p{Me}\u115F\u1160\u3164\uFFA0\u2800]*$/u;

export type TextCheck =
  { readonly ok: true; readonly value: string } | { readonly ok: false; readonly problem: string };

const length = (s: string): number => [...s].length;

/** A display name as stored: trimmed, 1-25 characters, no control characters, not invisible-only. */
export function checkDisplayName(raw: string): TextCheck {
  const value = raw.trim();
  if (FORBIDDEN.test(value))
    return { ok: false, problem: 'must not contain control characters or line breaks' };
  if (INVISIBLE.test(value)) return { ok: false, problem: 'must contain a visible character' };
  if (length(value) > DISPLAY_NAME_MAX)
    return { ok: false, problem: `at most ${DISPLAY_NAME_MAX} characters` };
  return { ok: true, value };
}

/** An about line as stored: trimmed, 0-139 characters, no control characters; invisible-only reads as empty. */
export function checkAbout(raw: string): TextCheck {
  const value = raw.trim();
  if (FORBIDDEN.test(value))
    return { ok: false, problem: 'must not contain control characters or line breaks' };
  if (length(value) > ABOUT_MAX) return { ok: false, problem: `at most ${ABOUT_MAX} characters` };
  return { ok: true, value: INVISIBLE.test(value) ? '' : value };
}

/** What a viewer may see of a profile field under its audience. */
export function profileFieldVisible(
  audience: PresenceAudience,
  input: { readonly viewerId: string; readonly targetId: string; readonly viewerIsContact: boolean },
): boolean {
  if (input.viewerId === input.targetId) return true;
  switch (audience) {
    case 'everyone':
      return true;
    case 'contacts':
      return input.viewerIsContact;
    case 'nobody':
      return false;
    default: {
      const _exhaustive: never = audience;
      return _exhaustive;
    }
  }
}
