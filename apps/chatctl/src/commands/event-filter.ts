import type { ChatEvent } from '#libs/events';

/** Whether a user takes part in an event: as its author, a member, a recipient or its subject. */
export function involvesUser(event: ChatEvent, userId: string): boolean {
  switch (event.type) {
    case 'ConversationCreated':
      return event.data.createdBy === userId || event.data.members.some((m) => m.userId === userId);
    case 'MessageSent':
      return event.data.senderUserId === userId || (event.data.mentions ?? []).includes(userId);
    case 'GroupMembersAdded':
      return event.data.addedBy === userId || event.data.userIds.includes(userId);
    case 'GroupMemberRemoved':
      return event.data.removedBy === userId || event.data.userId === userId;
    case 'GroupMemberLeft':
      return event.data.userId === userId || event.data.newAdminUserId === userId;
    case 'GroupAdminPromoted':
    case 'GroupAdminDemoted':
      return event.data.by === userId || event.data.userId === userId;
    case 'GroupInfoChanged':
    case 'GroupSettingsChanged':
    case 'DisappearingTimerChanged':
      return event.data.changedBy === userId;
    case 'MessageExpired':
      return false; // the server's: it names no user
    case 'SecurityCodeChanged':
      return event.data.userId === userId;
    case 'MessageDelivered':
      return event.data.deliveries.some((d) => d.userId === userId);
    case 'MessageRead':
    case 'MessageEdited':
    case 'MessageDeleted':
    case 'MessageHidden':
    case 'MessageReacted':
    case 'UserRegistered':
    case 'DeviceAdded':
    case 'DeviceRemoved':
    case 'PushTokenRegistered':
    case 'PushTokenRemoved':
    case 'ConversationMuted':
    case 'ConversationUnmuted':
    case 'NotificationPreviewSet':
    case 'IdentityKeyChanged':
    case 'PrivacySettingsChanged':
    case 'ProfileNameChanged':
    case 'ProfileAboutChanged':
    case 'ProfileAvatarChanged':
    case 'ProfilePrivacyChanged':
    case 'ContactsAdded':
    case 'ContactsRemoved':
    case 'ConversationArchived':
    case 'ConversationPinned':
    case 'MessageStarred':
    case 'UserCameOnline':
    case 'UserWentOffline':
    case 'UserForgotten':
    case 'ReportResolved':
    case 'AccountDeleted':
      return event.data.userId === userId;
    case 'UserBlocked':
    case 'UserUnblocked':
      return event.data.userId === userId || event.data.blockedUserId === userId;
    case 'UserReported':
      return event.data.userId === userId || event.data.reportedUserIds.includes(userId);
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}
