import { CONTACTS_PER_EVENT, type ContactsAdded, type ContactsRemoved, type UserEvent } from '#libs/events';
import { envelope } from '../envelope.js';
import { accept, reject, type CommandContext, type Decision } from '../errors.js';
import type { UserState } from './user.state.js';

/**
 * An incremental address-book change, as the user ids the numbers name. Adding what is there or removing
 * what is not records nothing; the user's own id is never a contact; the set holds at most `maxContacts`.
 */
export interface ChangeContacts {
  readonly type: 'ChangeContacts';
  readonly add: readonly string[];
  readonly remove: readonly string[];
  readonly maxContacts: number;
}

function chunks(ids: readonly string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < ids.length; i += CONTACTS_PER_EVENT) out.push(ids.slice(i, i + CONTACTS_PER_EVENT));
  return out;
}

export function decideContacts(
  command: ChangeContacts,
  state: UserState,
  ctx: CommandContext,
): Decision<UserEvent> {
  if (state.status !== 'active') return reject('NOT_FOUND', 'no such user');
  const { userId, contacts } = state;
  const removing = new Set(command.remove);
  const added = [...new Set(command.add)].filter(
    (id) => id !== userId && !contacts.has(id) && !removing.has(id),
  );
  const removed = [...removing].filter((id) => contacts.has(id));
  const size = contacts.size + added.length - removed.length;
  if (size > command.maxContacts)
    return reject('CONTACT_LIMIT', `a contact set holds at most ${command.maxContacts} numbers`, {
      limit: command.maxContacts,
      size,
    });
  const events: UserEvent[] = [
    ...chunks(removed).map((ids) =>
      envelope<ContactsRemoved>(ctx, 'ContactsRemoved', { userId, contactIds: ids }),
    ),
    ...chunks(added).map((ids) => envelope<ContactsAdded>(ctx, 'ContactsAdded', { userId, contactIds: ids })),
  ];
  return accept(...events);
}
