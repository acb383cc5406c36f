import {
  decideConversation,
  evolveConversation,
  initialConversationState,
  type ConversationCommand,
  type ConversationState,
} from '#libs/domain';
import {
  conversationSubject,
  eventCatalogue,
  type ConversationEvent,
  type ConversationSubjectKind,
  type SubjectSpace,
} from '#libs/events';
import { conversationStreamName } from '../stream-topology.js';
import type { Aggregate } from './aggregate.js';

/** The subject kind each conversation event is appended to, from the catalogue. */
const SUBJECT_KIND: ReadonlyMap<string, ConversationSubjectKind> = new Map(
  eventCatalogue.flatMap((d) => (d.subjectKind ? [[d.type, d.subjectKind] as const] : [])),
);

/**
 * Conversations (1:1 and groups): state folded from the `.meta` subject, where membership and settings
 * are checked for concurrency; messages (`.msg`) and receipts (`.rcpt`) never contend on it.
 */
export function conversationAggregate(
  space: SubjectSpace,
  membershipFollowed: () => boolean = () => false,
): Aggregate<ConversationCommand, ConversationState, ConversationEvent> {
  return {
    initialState: initialConversationState,
    evolve: evolveConversation,
    decide: decideConversation,
    locate: (conversationId) => ({
      stream: conversationStreamName(space, conversationId),
      stateSubject: conversationSubject(space, conversationId, 'meta'),
      subjectOf: (event) => {
        const kind = SUBJECT_KIND.get(event.type);
        if (!kind) throw new Error(`${event.type} has no subject kind in the catalogue`);
        return conversationSubject(space, conversationId, kind);
      },
    }),
    // A delivery receipt needs no fresh membership (it only names messages the device received, and
    // aggregates are counted against the projector's members): a cached state that accepts it saves a
    // round trip for each of a large group's thousand acks per message. A send needs none in a direct
    // conversation (its two members never change), nor in a group while this process follows the meta
    // subjects (MembershipFeed drops a changed group's state): the MessageSent records the membership
    // version it was decided against, and the projector judges it in log order.
    trustsCache: (command, state) =>
      command.type === 'AcknowledgeDelivery' ||
      (command.type === 'SendMessage' &&
        state.status === 'active' &&
        (state.kind === 'direct' || membershipFollowed())),
  };
}
