import type { ConversationEvent, DisappearingTimer, GroupSettings } from '#libs/events';

export type MemberRole = 'admin' | 'member';

export const DEFAULT_GROUP_SETTINGS: GroupSettings = { sendMessages: 'everyone', editInfo: 'everyone' };

export type ActiveConversation = {
  readonly status: 'active';
  readonly conversationId: string;
  readonly kind: 'direct' | 'group';
  /** Members in joining order (a Map keeps insertion order): the longest-standing member comes first. */
  readonly members: ReadonlyMap<string, MemberRole>;
  /** When each member joined (the time of the event that made them a member), for group.info. */
  readonly joinedAt: ReadonlyMap<string, string>;
  /** Stream sequence of the last membership (meta) event: what a MessageSent is decided against. */
  readonly membershipVersion: number;
  /**
   * Stream sequence of the last event that changed who the members are (created, added, removed, left):
   * a sender key distributed before it must be rotated (E2E groups).
   */
  readonly membersVersion: number;
  readonly subject?: string;
  readonly description?: string;
  /** The group's icon (an object at group-icons/<conversationId>/<iconId>). */
  readonly iconId?: string;
  readonly settings: GroupSettings;
  /** End-to-end encrypted: only E2E content may be sent. */
  readonly e2e: boolean;
  /** Disappearing messages: the timer messages sent now are given (seconds 0: off). */
  readonly disappearing: { readonly timer: DisappearingTimer; readonly seconds: number };
};

export type ConversationState = { readonly status: 'none' } | ActiveConversation;

export const initialConversationState = (): ConversationState => ({ status: 'none' });

function withMembers(
  state: ConversationState,
  streamSequence: number,
  at: string,
  change: (members: Map<string, MemberRole>) => void,
  extra: Partial<ActiveConversation> = {},
): ConversationState {
  if (state.status !== 'active') return state;
  const members = new Map(state.members);
  change(members);
  // Who is a member now keeps their joining time; a newcomer joins now (at the event's time).
  const joinedAt = new Map<string, string>();
  for (const userId of members.keys()) joinedAt.set(userId, state.joinedAt.get(userId) ?? at);
  return { ...state, ...extra, members, joinedAt, membershipVersion: streamSequence };
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
        joinedAt: new Map(event.data.members.map((m) => [m.userId, event.occurredAt])),
        membershipVersion: streamSequence,
        membersVersion: streamSequence,
        ...(event.data.title !== undefined ? { subject: event.data.title } : {}),
        ...(event.data.description !== undefined ? { description: event.data.description } : {}),
        settings: event.data.settings ?? DEFAULT_GROUP_SETTINGS,
        e2e: event.data.e2e === true,
        disappearing: { timer: 'off', seconds: 0 },
      };
    case 'GroupMembersAdded':
      return withMembers(
        state,
        streamSequence,
        event.occurredAt,
        (m) => {
          for (const userId of event.data.userIds) if (!m.has(userId)) m.set(userId, 'member');
        },
        { membersVersion: streamSequence },
      );
    case 'GroupMemberRemoved':
      return withMembers(state, streamSequence, event.occurredAt, (m) => m.delete(event.data.userId), {
        membersVersion: streamSequence,
      });
    case 'GroupMemberLeft':
      return withMembers(
        state,
        streamSequence,
        event.occurredAt,
        (m) => {
          m.delete(event.data.userId);
          if (event.data.newAdminUserId && m.has(event.data.newAdminUserId))
            m.set(event.data.newAdminUserId, 'admin');
        },
        { membersVersion: streamSequence },
      );
    case 'GroupAdminPromoted':
      return withMembers(state, streamSequence, event.occurredAt, (m) => {
        if (m.has(event.data.userId)) m.set(event.data.userId, 'admin');
      });
    case 'GroupAdminDemoted':
      return withMembers(state, streamSequence, event.occurredAt, (m) => {
        if (m.has(event.data.userId)) m.set(event.data.userId, 'member');
      });
    case 'GroupInfoChanged': {
      const next = withMembers(state, streamSequence, event.occurredAt, () => undefined, {
        ...(event.data.subject !== undefined ? { subject: event.data.subject } : {}),
        ...(event.data.description !== undefined ? { description: event.data.description } : {}),
        ...(event.data.iconId !== undefined ? { iconId: event.data.iconId } : {}),
      });
      if (!event.data.iconRemoved || next.status !== 'active') return next;
      const { iconId: _removed, ...rest } = next;
      return rest;
    }
    case 'GroupSettingsChanged':
      return withMembers(state, streamSequence, event.occurredAt, () => undefined, {
        settings: event.data.settings,
      });
    case 'SecurityCodeChanged':
      // A meta event; nobody joins or leaves.
      return withMembers(state, streamSequence, event.occurredAt, () => undefined);
    case 'DisappearingTimerChanged':
      return withMembers(state, streamSequence, event.occurredAt, () => undefined, {
        disappearing: { timer: event.data.timer, seconds: event.data.seconds },
      });
    case 'MessageSent':
    case 'MessageDelivered':
    case 'MessageRead':
    case 'MessageEdited':
    case 'MessageDeleted':
    case 'MessageHidden':
    case 'MessageReacted':
    case 'MessageExpired':
      return state; // messages, receipts and what is done to messages do not change membership
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

/**
 * The other member of a direct conversation named by its id, seen from `userId` (one of the two);
 * undefined for any other id. Knowing one member makes the split unambiguous, whatever `_` the ids hold.
 */
export function directPeerOf(conversationId: string, userId: string): string | undefined {
  if (!conversationId.startsWith('d_')) return undefined;
  const rest = conversationId.slice(2);
  const peer = rest.startsWith(`${userId}_`)
    ? rest.slice(userId.length + 1)
    : rest.endsWith(`_${userId}`)
      ? rest.slice(0, rest.length - userId.length - 1)
      : undefined;
  return peer !== undefined && peer !== '' && directConversationId(userId, peer) === conversationId
    ? peer
    : undefined;
}
