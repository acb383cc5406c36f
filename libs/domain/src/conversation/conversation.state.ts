import type { ConversationEvent, GroupSettings } from '#libs/events';

export type MemberRole = 'admin' | 'member';

export const DEFAULT_GROUP_SETTINGS: GroupSettings = { sendMessages: 'everyone', editInfo: 'everyone' };

export type ActiveConversation = {
  readonly status: 'active';
  readonly conversationId: string;
  readonly kind: 'direct' | 'group';
  /** Members in joining order (a Map keeps insertion order): the longest-standing member comes first. */
  readonly members: ReadonlyMap<string, MemberRole>;
  /** Stream sequence of the last membership (meta) event: what a MessageSent is decided against. */
  readonly membershipVersion: number;
  readonly subject?: string;
  readonly description?: string;
  readonly settings: GroupSettings;
};

export type ConversationState = { readonly status: 'none' } | ActiveConversation;

export const initialConversationState = (): ConversationState => ({ status: 'none' });

function withMembers(
  state: ConversationState,
  streamSequence: number,
  change: (members: Map<string, MemberRole>) => void,
  extra: Partial<ActiveConversation> = {},
): ConversationState {
  if (state.status !== 'active') return state;
  const members = new Map(state.members);
  change(members);
  return { ...state, ...extra, members, membershipVersion: streamSequence };
}

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
        ...(event.data.title !== undefined ? { subject: event.data.title } : {}),
        ...(event.data.description !== undefined ? { description: event.data.description } : {}),
        settings: event.data.settings ?? DEFAULT_GROUP_SETTINGS,
      };
    case 'GroupMembersAdded':
      return withMembers(state, streamSequence, (m) => {
        for (const userId of event.data.userIds) if (!m.has(userId)) m.set(userId, 'member');
      });
    case 'GroupMemberRemoved':
      return withMembers(state, streamSequence, (m) => m.delete(event.data.userId));
    case 'GroupMemberLeft':
      return withMembers(state, streamSequence, (m) => {
        m.delete(event.data.userId);
        if (event.data.newAdminUserId && m.has(event.data.newAdminUserId))
          m.set(event.data.newAdminUserId, 'admin');
      });
    case 'GroupAdminPromoted':
      return withMembers(state, streamSequence, (m) => {
        if (m.has(event.data.userId)) m.set(event.data.userId, 'admin');
      });
    case 'GroupAdminDemoted':
      return withMembers(state, streamSequence, (m) => {
        if (m.has(event.data.userId)) m.set(event.data.userId, 'member');
      });
    case 'GroupInfoChanged':
      return withMembers(state, streamSequence, () => undefined, {
        ...(event.data.subject !== undefined ? { subject: event.data.subject } : {}),
        ...(event.data.description !== undefined ? { description: event.data.description } : {}),
      });
    case 'GroupSettingsChanged':
      return withMembers(state, streamSequence, () => undefined, { settings: event.data.settings });
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

/**
 * The one refusal a non-member gets, whether the conversation exists or not: a direct chat's id follows
 * from its two users, so a different answer would tell a stranger who talks to whom.
 */
export const NOT_A_MEMBER_MESSAGE = 'you are not a member of this conversation';

export function isMember(state: ConversationState, userId: string): boolean {
  return state.status === 'active' && state.members.has(userId);
}

export function isAdmin(state: ConversationState, userId: string): boolean {
  return state.status === 'active' && state.members.get(userId) === 'admin';
}

/** A 1:1 conversation's id is made from its two members, so both sides find the same one. */
export function directConversationId(a: string, b: string): string {
  const [x, y] = a < b ? [a, b] : [b, a];
  return `d_${x}_${y}`;
}
