import type { ConversationEvent } from '#libs/events';

export type MemberRole = 'admin' | 'member';

export type ConversationState =
  | { readonly status: 'none' }
  | {
      readonly status: 'active';
      readonly conversationId: string;
      readonly kind: 'direct' | 'group';
      readonly members: ReadonlyMap<string, MemberRole>;
      /** Stream sequence of the last membership (meta) event: what a MessageSent is decided against. */
      readonly membershipVersion: number;
    };

export const initialConversationState = (): ConversationState => ({ status: 'none' });

/** Folds the conversation's meta events (with their stream sequences) into its state. */
export function evolveConversation(
  state: ConversationState,
  event: ConversationEvent,
  streamSequence: number,
): ConversationState {
  switch (event.type) {
    case 'ConversationCreated':
      return {
        status: 'active',
        conversationId: event.data.conversationId,
        kind: event.data.kind,
        members: new Map(event.data.members.map((m) => [m.userId, m.role])),
        membershipVersion: streamSequence,
      };
    case 'MessageSent':
    case 'MessageDelivered':
    case 'MessageRead':
      return state; // messages and receipts do not change membership
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

export function isMember(state: ConversationState, userId: string): boolean {
  return state.status === 'active' && state.members.has(userId);
}

/** A 1:1 conversation's id is made from its two members, so both sides find the same one. */
export function directConversationId(a: string, b: string): string {
  const [x, y] = a < b ? [a, b] : [b, a];
  return `d_${x}_${y}`;
}
