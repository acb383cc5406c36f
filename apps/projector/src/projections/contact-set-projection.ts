import type { UserEvent } from '#libs/events';
import type { ContactSetStore } from '#libs/read-models';

/** The contact sets' part of a USERS event (stamped with the stream sequence: replays change nothing twice). */
export async function applyToContactSets(
  event: UserEvent,
  seq: number,
  sets: ContactSetStore,
): Promise<void> {
  switch (event.type) {
    case 'ContactsAdded':
      return sets.add(event.data.userId, event.data.contactIds, seq);
    case 'ContactsRemoved':
      return sets.remove(event.data.userId, event.data.contactIds, seq);
    case 'UserForgotten':
      return sets.forget(event.data.userId, seq);
    default:
      return;
  }
}
