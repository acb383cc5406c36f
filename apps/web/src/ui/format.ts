import type { PresenceState } from '#libs/protocol';
import type { Contacts } from '../chat/contacts.js';
import type { TimelineMessage } from '../chat/model.js';

export function timeOf(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** "Today", "Yesterday" or the date: the label of a day separator. */
export function dayLabel(iso: string, now = new Date()): string {
  const d = new Date(iso);
  const start = (x: Date): number => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const days = Math.round((start(now) - start(d)) / 86_400_000);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  return d.toLocaleDateString([], { year: 'numeric', month: 'long', day: 'numeric' });
}

export function dayKey(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

/** The line under a direct chat's title, as far as the other person's privacy settings allow. */
export function presenceLine(p: PresenceState | undefined): string {
  if (!p) return '';
  if (p.online) return 'online';
  if (p.lastSeen) {
    const label = dayLabel(p.lastSeen);
    return `last seen ${label === 'Today' || label === 'Yesterday' ? label.toLowerCase() : label} at ${timeOf(p.lastSeen)}`;
  }
  return '';
}

/** One line of a message, for the conversation list and a quote. */
export function previewOf(m: TimelineMessage | undefined, contacts: Contacts): string {
  if (!m) return '';
  if (m.system) return systemText(m, contacts);
  if (m.media)
    return `📎 ${m.media.fileName ?? ('kind' in m.media && m.media.kind ? m.media.kind : 'attachment')}`;
  return m.text;
}

export function systemText(m: TimelineMessage, contacts: Contacts): string {
  const s = m.system;
  if (!s) return '';
  const actor = contacts.label(s.actorUserId);
  const whom = (s.userIds ?? []).map((u) => contacts.label(u)).join(', ');
  switch (s.kind) {
    case 'created':
      return `${actor} created the group${s.subject ? ` "${s.subject}"` : ''}`;
    case 'joined':
      return `${actor} added ${whom}`;
    case 'left':
      return `${actor} left`;
    case 'removed':
      return `${actor} removed ${whom}`;
    case 'promoted':
      return `${actor} made ${whom} an admin`;
    case 'demoted':
      return `${actor} dismissed ${whom} as admin`;
    case 'renamed':
      return `${actor} changed the subject${s.subject ? ` to "${s.subject}"` : ''}`;
    case 'settings_changed':
      return `${actor} changed the group settings`;
    default:
      return 'group changed';
  }
}
