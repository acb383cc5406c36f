import { z } from 'zod';
import { defineEvent } from '../event-definition.js';
import type { EventEnvelope } from '../envelope.js';
import { tokenId } from './ids.schema.js';

/** Contacts per event: an address-book upload is split so an event stays far below NATS's payload limit. */
export const CONTACTS_PER_EVENT = 1000;

/**
 * A user's contact set holds user ids, never phone numbers: a user id is derived from a phone number
 * (keyed hash), so a number in the address book names its account whether it is registered yet or not.
 */
const contactIds = z.array(tokenId).min(1).max(CONTACTS_PER_EVENT);

export const ContactsAddedV1 = defineEvent({
  type: 'ContactsAdded',
  version: 1,
  aggregate: 'user',
  description: "Numbers of the user's address book joined their contact set (as the user ids they name).",
  schema: z.object({ userId: tokenId, contactIds }),
});

export const ContactsRemovedV1 = defineEvent({
  type: 'ContactsRemoved',
  version: 1,
  aggregate: 'user',
  description: "Numbers left the user's address book: they leave the contact set.",
  schema: z.object({ userId: tokenId, contactIds }),
});

type Data<D extends { schema: z.ZodType }> = z.infer<D['schema']>;
export type ContactsAdded = EventEnvelope<'ContactsAdded', Data<typeof ContactsAddedV1>>;
export type ContactsRemoved = EventEnvelope<'ContactsRemoved', Data<typeof ContactsRemovedV1>>;
export type ContactEvent = ContactsAdded | ContactsRemoved;
export const contactEvents = [ContactsAddedV1, ContactsRemovedV1] as const;
