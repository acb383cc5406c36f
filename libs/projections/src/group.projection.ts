import type {
  ConversationCreated,
  DisappearingTimerChanged,
  GroupEvent,
  SecurityCodeChanged,
} from '#libs/events';
import type { HistoryMessage, SystemNotice } from '#libs/protocol';
import type {
  ConversationStore,
  GroupStore,
  TimelineStore,
  ConversationRow,
  LogPosition,
} from '#libs/read-models';
import type { ConversationFanOut } from './conversation-fan-out.js';

/**
 * Membership and settings of groups, and the system message each change puts in the timeline. A system
 * message takes the next gap-free seq like any message and reaches the members after the change plus
 * whoever the change removed (a removed member learns of the removal, then gets nothing more).
 * The projector applies a conversation's events in stream order, so the member set it holds when it
 * applies a MessageSent is exactly the set after every meta event stored before that message.
 */
export class GroupProjection {
  constructor(
    private readonly conversations: ConversationStore,
    private readonly groups: GroupStore,
    private readonly timeline: TimelineStore,
    private readonly fanOut: ConversationFanOut,
  ) {}

  /** The "created" message of a group whose row exists (the founding members join at its seq). */
  async created(
    state: ConversationRow,
    event: ConversationCreated,
    position: LogPosition,
    ttl?: number,
  ): Promise<void> {
    const d = event.data;
    const seq = state.lastMessageSeq + 1;
    await this.groups.addMembers(
      d.conversationId,
      d.members.map((m) => ({ userId: m.userId, role: m.role, joinedSeq: seq })),
    );
    await this.groups.putInfo(d.conversationId, {
      subject: d.title ?? '',
      ...(d.description !== undefined ? { description: d.description } : {}),
      ...(d.settings ? { settings: d.settings } : {}),
      createdBy: d.createdBy,
    });
    if (!d.systemMessageId) {
      await this.conversations.advance(d.conversationId, position.seq);
      return;
    }
    await this.post(state, state.members, d.systemMessageId, event.occurredAt, position, ttl, {
      kind: 'created',
      actorUserId: d.createdBy,
      userIds: d.members.map((m) => m.userId).filter((u) => u !== d.createdBy),
      ...(d.title ? { subject: d.title } : {}),
    });
  }

  async apply(state: ConversationRow, event: GroupEvent, position: LogPosition, ttl?: number): Promise<void> {
    const d = event.data;
    const seq = state.lastMessageSeq + 1;
    const post = (recipients: readonly string[], notice: SystemNotice): Promise<void> =>
      this.post(state, recipients, d.systemMessageId, event.occurredAt, position, ttl, notice);
    switch (event.type) {
      case 'GroupMembersAdded': {
        const fresh = event.data.userIds.filter((u) => !state.members.includes(u));
        await this.groups.addMembers(
          d.conversationId,
          fresh.map((userId) => ({ userId, role: 'member' as const, joinedSeq: seq })),
        );
        await this.conversations.addMembers(d.conversationId, fresh, new Date(event.occurredAt));
        return post([...state.members, ...fresh], {
          kind: 'joined',
          actorUserId: event.data.addedBy,
          userIds: event.data.userIds,
        });
      }
      case 'GroupMemberRemoved':
      case 'GroupMemberLeft': {
        const gone = event.data.userId;
        await this.conversations.removeMember(d.conversationId, gone);
        await this.groups.removeMember(d.conversationId, gone);
        const newAdmin = event.type === 'GroupMemberLeft' ? event.data.newAdminUserId : undefined;
        if (newAdmin) await this.groups.setRole(d.conversationId, newAdmin, 'admin');
        return post(
          state.members,
          event.type === 'GroupMemberRemoved'
            ? { kind: 'removed', actorUserId: event.data.removedBy, userIds: [gone] }
            : { kind: 'left', actorUserId: gone, userIds: [gone] },
        );
      }
      case 'GroupAdminPromoted':
      case 'GroupAdminDemoted': {
        const promoted = event.type === 'GroupAdminPromoted';
        await this.groups.setRole(d.conversationId, event.data.userId, promoted ? 'admin' : 'member');
        return post(state.members, {
          kind: promoted ? 'promoted' : 'demoted',
          actorUserId: event.data.by,
          userIds: [event.data.userId],
        });
      }
      case 'GroupInfoChanged': {
        const { subject, description } = event.data;
        // An icon alone says so; a rename (with or without a new icon) says what it is now.
        if (subject === undefined && description === undefined)
          return post(state.members, { kind: 'icon_changed', actorUserId: event.data.changedBy });
        await this.groups.putInfo(d.conversationId, {
          ...(subject !== undefined ? { subject } : {}),
          ...(description !== undefined ? { description } : {}),
        });
        return post(state.members, {
          kind: 'renamed',
          actorUserId: event.data.changedBy,
          ...(subject !== undefined ? { subject } : {}),
          ...(description !== undefined ? { description } : {}),
        });
      }
      case 'GroupSettingsChanged':
        await this.groups.putInfo(d.conversationId, { settings: event.data.settings });
        return post(state.members, {
          kind: 'settings_changed',
          actorUserId: event.data.changedBy,
          settings: event.data.settings,
        });
      default: {
        const _exhaustive: never = event;
        return _exhaustive;
      }
    }
  }

  /** "Security code changed" (E2E, a direct chat or a group): a system message for every member. */
  securityCodeChanged(
    state: ConversationRow,
    event: SecurityCodeChanged,
    position: LogPosition,
    ttl?: number,
  ): Promise<void> {
    const d = event.data;
    return this.post(state, state.members, d.systemMessageId, event.occurredAt, position, ttl, {
      kind: 'security_code_changed',
      actorUserId: d.userId,
      userIds: [d.userId],
    });
  }

  /** Disappearing messages turned on or off (a direct chat or a group): a system message for every member. */
  disappearingChanged(
    state: ConversationRow,
    event: DisappearingTimerChanged,
    position: LogPosition,
    ttl?: number,
  ): Promise<void> {
    const d = event.data;
    return this.post(state, state.members, d.systemMessageId, event.occurredAt, position, ttl, {
      kind: 'disappearing_changed',
      actorUserId: d.changedBy,
      disappearing: { timer: d.timer, seconds: d.seconds },
    });
  }

  /** A system message at the next seq: timeline, every recipient device's inbox, their lists. */
  private async post(
    state: ConversationRow,
    recipients: readonly string[],
    messageId: string,
    at: string,
    position: LogPosition,
    ttl: number | undefined,
    notice: SystemNotice,
  ): Promise<void> {
    const seq = state.lastMessageSeq + 1;
    const message: HistoryMessage = {
      conversationId: state.conversationId,
      messageId,
      seq,
      senderUserId: notice.actorUserId,
      senderDeviceId: 'system',
      clientMessageId: `system-${messageId}`,
      text: '',
      system: notice,
      sentAt: at,
    };
    await this.timeline.insert(message, ttl);
    await this.fanOut.deliver(
      position,
      state.conversationId,
      recipients.map((userId) => ({ userId })),
      { kind: 'message', data: message },
      ttl,
    );
    await this.conversations.recordMessage(recipients, message);
    await this.conversations.advance(state.conversationId, position.seq, seq, new Date(at));
  }
}
