/**
 * Group commands. Every one that changes the group carries `systemMessageId`, a snowflake minted by the
 * gateway, which becomes the id of the system message ("Ann added Bob") the timeline shows for it.
 */
export interface CreateGroup {
  readonly type: 'CreateGroup';
  readonly conversationId: string;
  readonly createdBy: string;
  readonly subject: string;
  readonly description?: string;
  readonly memberUserIds: readonly string[];
  readonly systemMessageId: string;
  readonly maxMembers: number;
  /** End-to-end encrypted (sender keys): only E2E content may be sent. */
  readonly e2e?: boolean;
}

export interface AddGroupMembers {
  readonly type: 'AddGroupMembers';
  readonly by: string;
  readonly userIds: readonly string[];
  readonly systemMessageId: string;
  readonly maxMembers: number;
}

export interface RemoveGroupMember {
  readonly type: 'RemoveGroupMember';
  readonly by: string;
  readonly userId: string;
  readonly systemMessageId: string;
}

export interface LeaveGroup {
  readonly type: 'LeaveGroup';
  readonly userId: string;
  readonly systemMessageId: string;
}

export interface PromoteGroupAdmin {
  readonly type: 'PromoteGroupAdmin';
  readonly by: string;
  readonly userId: string;
  readonly systemMessageId: string;
}

export interface DemoteGroupAdmin {
  readonly type: 'DemoteGroupAdmin';
  readonly by: string;
  readonly userId: string;
  readonly systemMessageId: string;
}

export interface ChangeGroupInfo {
  readonly type: 'ChangeGroupInfo';
  readonly by: string;
  readonly subject?: string;
  readonly description?: string;
  /** A new icon (its object already in place), or the icon removed. */
  readonly iconId?: string;
  readonly removeIcon?: true;
  readonly systemMessageId: string;
}

export interface ChangeGroupSettings {
  readonly type: 'ChangeGroupSettings';
  readonly by: string;
  readonly sendMessages?: 'everyone' | 'admins';
  readonly editInfo?: 'everyone' | 'admins';
  readonly systemMessageId: string;
}

export type GroupCommand =
  | CreateGroup
  | AddGroupMembers
  | RemoveGroupMember
  | LeaveGroup
  | PromoteGroupAdmin
  | DemoteGroupAdmin
  | ChangeGroupInfo
  | ChangeGroupSettings;
