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
      return event.data.changedBy === userId;
    case 'MessageDelivered':
    case 'MessageRead':
    case 'UserRegistered':
    case 'DeviceAdded':
    case 'DeviceRemoved':
    case 'PushTokenRegistered':
    case 'PushTokenRemoved':
    case 'ConversationMuted':
    case 'ConversationUnmuted':
    case 'NotificationPreviewSet':
    case 'PrivacySettingsChanged':
    case 'UserCameOnline':
    case 'UserWentOffline':
    case 'UserForgotten':
      return event.data.userId === userId;
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}
