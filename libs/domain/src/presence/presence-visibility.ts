/** Who may see a user's last seen or online status. */
export type PresenceAudience = 'everyone' | 'contacts' | 'nobody';

export interface PrivacySettings {
  readonly lastSeen: PresenceAudience;
  readonly online: PresenceAudience;
}

/** WhatsApp's long-standing default: everyone sees both. */
export const DEFAULT_PRIVACY: PrivacySettings = Object.freeze({ lastSeen: 'everyone', online: 'everyone' });

/** What a viewer may see of a target's presence. */
export interface PresenceVisibility {
  readonly online: boolean;
  readonly lastSeen: boolean;
}

export function sharesWith(audience: PresenceAudience, areContacts: boolean): boolean {
  switch (audience) {
    case 'everyone':
      return true;
    case 'contacts':
      return areContacts;
    case 'nobody':
      return false;
    default: {
      const _exhaustive: never = audience;
      return _exhaustive;
    }
  }
}

/**
 * What `viewer` may see of `target`. The target's setting must let the viewer in, and (reciprocity,
 * WhatsApp's rule) the viewer must show the same thing to the target: who hides their last seen from
 * someone cannot see that person's last seen either; the same holds for the online status. "Contacts"
 * is symmetric here (people who share a conversation), so one flag serves both directions.
 */
export function presenceVisibility(input: {
  readonly viewerId: string;
  readonly targetId: string;
  readonly viewer: PrivacySettings;
  readonly target: PrivacySettings;
  readonly areContacts: boolean;
}): PresenceVisibility {
  if (input.viewerId === input.targetId) return { online: true, lastSeen: true };
  const c = input.areContacts;
  return {
    online: sharesWith(input.target.online, c) && sharesWith(input.viewer.online, c),
    lastSeen: sharesWith(input.target.lastSeen, c) && sharesWith(input.viewer.lastSeen, c),
  };
}
