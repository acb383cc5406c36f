import type { ErrorBody } from './errors.js';

/**
 * Wire types of the WebSocket protocol (docs/protocol.md), shared by the gateway and the client SDK.
 * Pure types and constants: the gateway validates incoming frames with its DTOs.
 */
export const PROTOCOL_PATH = '/v1/ws';

/** Frames above this get FRAME_TOO_LARGE; above HARD_FRAME_LIMIT_BYTES the socket closes with 1009. */
export const FRAME_LIMIT_BYTES = 64 * 1024;
export const HARD_FRAME_LIMIT_BYTES = 1024 * 1024;

/**
 * The deepest nesting of objects and arrays a frame or an HTTP body may have (a frame's envelope counts
 * as one level); deeper JSON gets VALIDATION_FAILED before anything walks it.
 */
export const MAX_JSON_DEPTH = 32;

export const CLOSE_CODES = {
  unauthenticated: 4401,
  revoked: 4403,
  /** A newer socket of the same device took this one's place (MAX_SOCKETS_PER_DEVICE). */
  replaced: 4409,
  goingAway: 1001,
} as const;

export type MediaKind = 'image' | 'video' | 'audio' | 'voice' | 'document';

/** What a message carries about its media: a reference, never the bytes (docs/protocol.md, Media). */
export interface MediaReference {
  readonly mediaId: string;
  readonly kind: MediaKind;
  readonly size: number;
  readonly contentType: string;
  readonly sha256: string;
  readonly caption?: string;
  readonly thumbnail?: string;
  readonly blurhash?: string;
  readonly durationSeconds?: number;
  readonly fileName?: string;
  readonly viewOnce: boolean;
}

/** What a client sends to attach a stored (completed) media object to a message. */
export interface MediaAttachment {
  readonly mediaId: string;
  readonly caption?: string;
  readonly thumbnail?: string;
  readonly blurhash?: string;
  readonly durationSeconds?: number;
  readonly fileName?: string;
  readonly viewOnce?: boolean;
}

export interface InboxMessage {
  readonly entryId: string;
  readonly conversationId: string;
  readonly messageId: string;
  readonly seq: number;
  readonly senderUserId: string;
  readonly senderDeviceId: string;
  readonly clientMessageId: string;
  /** The text, or the empty string for a media message (its caption is in `media`). */
  readonly text: string;
  readonly media?: MediaReference;
  readonly replyTo?: string;
  /** The message replied to, resolvable with history.get (its conversation is another one for a private reply). */
  readonly quote?: QuotedMessage;
  /** Members mentioned in the text. */
  readonly mentions?: readonly string[];
  /** Set on system messages (someone joined, left, ...): they take a seq like any message. */
  readonly system?: SystemNotice;
  readonly sentAt: string;
}

export interface QuotedMessage {
  readonly conversationId: string;
  readonly messageId: string;
  readonly senderUserId?: string;
  readonly seq?: number;
}

export type GroupPermission = 'everyone' | 'admins';
export interface GroupSettings {
  readonly sendMessages: GroupPermission;
  readonly editInfo: GroupPermission;
}

export type SystemNoticeKind =
  'created' | 'joined' | 'left' | 'removed' | 'promoted' | 'demoted' | 'renamed' | 'settings_changed';

/** What a system message says: `actorUserId` did `kind` to `userIds`. */
export interface SystemNotice {
  readonly kind: SystemNoticeKind;
  readonly actorUserId: string;
  readonly userIds?: readonly string[];
  readonly subject?: string;
  readonly description?: string;
  readonly settings?: GroupSettings;
}

export interface GroupMember {
  readonly userId: string;
  readonly role: 'admin' | 'member';
}

export interface GroupInfo {
  readonly conversationId: string;
  readonly subject: string;
  readonly description?: string;
  readonly settings: GroupSettings;
  readonly members: readonly GroupMember[];
  /** The stream sequence of the group's last membership or settings change. */
  readonly version: number;
}

export interface MemberStatus {
  readonly userId: string;
  readonly deliveredAt?: string;
  readonly readAt?: string;
}

/** What a group change answers: the group's version after it. */
export interface GroupChangeResult {
  readonly conversationId: string;
  readonly version: number;
}

export type HistoryMessage = Omit<InboxMessage, 'entryId'>;

export interface Receipt {
  readonly entryId: string;
  readonly conversationId: string;
  readonly status: 'delivered' | 'read';
  readonly userId: string;
  readonly deviceId: string;
  readonly messageIds?: readonly string[];
  readonly upToMessageId?: string;
  /** Groups: delivered to / read by every current member; userId is the member whose receipt completed it. */
  readonly allMembers?: true;
  readonly at: string;
}

export interface ConversationSummary {
  readonly conversationId: string;
  readonly kind: 'direct' | 'group';
  readonly members: readonly string[];
  readonly lastActivityAt: string;
  readonly lastMessage?: HistoryMessage;
  readonly unreadCount: number;
  /** Groups: the subject. */
  readonly subject?: string;
  /** A message since the last read one mentions this user. */
  readonly mentioned?: boolean;
}

export interface SendResult {
  readonly conversationId: string;
  readonly messageId: string;
  readonly clientMessageId: string;
  readonly sentAt: string;
  readonly duplicate: boolean;
}

export type PresenceAudience = 'everyone' | 'contacts' | 'nobody';

export interface PrivacySettingsView {
  readonly lastSeen: PresenceAudience;
  readonly online: PresenceAudience;
}

/**
 * A user's presence as one viewer may see it. `visible` says what the user's privacy settings (and
 * the viewer's own, by reciprocity) let the viewer see; what is not visible is left out. `lastSeen` is
 * given while the user is offline and it is known.
 */
export interface PresenceState {
  readonly userId: string;
  readonly visible: { readonly online: boolean; readonly lastSeen: boolean };
  readonly online?: boolean;
  readonly lastSeen?: string;
}

export type TypingState = 'typing' | 'recording' | 'stopped';

/** Someone in a conversation the device watches is typing or recording; drop it after `expiresInMs`. */
export interface TypingIndicator {
  readonly conversationId: string;
  readonly userId: string;
  readonly deviceId: string;
  readonly state: TypingState;
  readonly expiresInMs: number;
}

/** Every request a client can send, with its data and its result data. */
export interface Requests {
  ping: { data: Record<string, never>; result: { time: string } };
  sync: { data: { cursor?: string }; result: { cursor: string; count: number; complete: boolean } };
  'conversation.open_direct': {
    data: { userId: string };
    result: { conversationId: string; created: boolean };
  };
  'message.send': {
    /** Exactly one of `text` and `media`. */
    data: {
      conversationId: string;
      clientMessageId: string;
      text?: string;
      media?: MediaAttachment;
      replyTo?: string;
      mentions?: string[];
    };
    result: SendResult;
  };
  'message.reply_privately': {
    data: { groupConversationId: string; messageId: string; clientMessageId: string; text: string };
    result: SendResult;
  };
  'message.info': {
    data: { conversationId: string; messageId: string };
    result: { conversationId: string; messageId: string; members: MemberStatus[] };
  };
  'group.create': {
    data: { subject: string; description?: string; members: string[] };
    result: GroupChangeResult;
  };
  'group.add_members': { data: { conversationId: string; userIds: string[] }; result: GroupChangeResult };
  'group.remove_member': { data: { conversationId: string; userId: string }; result: GroupChangeResult };
  'group.leave': { data: { conversationId: string }; result: GroupChangeResult };
  'group.promote': { data: { conversationId: string; userId: string }; result: GroupChangeResult };
  'group.demote': { data: { conversationId: string; userId: string }; result: GroupChangeResult };
  'group.update_info': {
    data: { conversationId: string; subject?: string; description?: string };
    result: GroupChangeResult;
  };
  'group.update_settings': {
    data: { conversationId: string; sendMessages?: GroupPermission; editInfo?: GroupPermission };
    result: GroupChangeResult;
  };
  'group.info': { data: { conversationId: string }; result: GroupInfo };
  ack: { data: { entries: string[] }; result: { acked: number; cursor: string } };
  'message.read': { data: { conversationId: string; upToMessageId: string }; result: Record<string, never> };
  'history.get': {
    data: { conversationId: string; before?: string; after?: string; limit?: number };
    result: { messages: HistoryMessage[] };
  };
  'conversations.list': { data: { limit?: number }; result: { conversations: ConversationSummary[] } };
  /** One conversation of the caller's list; NOT_A_MEMBER for any other id, existing or not. */
  'conversation.get': { data: { conversationId: string }; result: ConversationSummary };
  'presence.heartbeat': { data: Record<string, never>; result: { intervalMs: number } };
  'presence.subscribe': {
    data: { userIds: string[]; conversationId?: string };
    result: { presence: PresenceState[] };
  };
  'typing.set': { data: { conversationId: string; state: TypingState }; result: Record<string, never> };
  'privacy.get': { data: Record<string, never>; result: PrivacySettingsView };
  'privacy.set': { data: Partial<PrivacySettingsView>; result: PrivacySettingsView };
}
export type RequestType = keyof Requests;
export const REQUEST_TYPES: readonly RequestType[] = [
  'ping',
  'sync',
  'conversation.open_direct',
  'message.send',
  'ack',
  'message.read',
  'history.get',
  'conversations.list',
  'conversation.get',
  'message.reply_privately',
  'message.info',
  'group.create',
  'group.add_members',
  'group.remove_member',
  'group.leave',
  'group.promote',
  'group.demote',
  'group.update_info',
  'group.update_settings',
  'group.info',
  'presence.heartbeat',
  'presence.subscribe',
  'typing.set',
  'privacy.get',
  'privacy.set',
];

export interface ClientFrame<T extends RequestType = RequestType> {
  readonly type: T;
  readonly id: string;
  readonly data: Requests[T]['data'];
}

export type ServerFrame =
  | { readonly type: 'result'; readonly id: string; readonly data: unknown }
  | { readonly type: 'error'; readonly id: string | null; readonly error: ErrorBody }
  | { readonly type: 'message'; readonly data: InboxMessage }
  | { readonly type: 'receipt'; readonly data: Receipt }
  | { readonly type: 'presence'; readonly data: PresenceState }
  | { readonly type: 'typing'; readonly data: TypingIndicator };

/** HTTP `POST /v1/media` answer: where to upload: one presigned PUT, or one presigned URL per part of a multipart upload. */
export type UploadSlot =
  | { mediaId: string; method: 'PUT'; url: string; headers: Record<string, string>; expiresInSeconds: number }
  | {
      mediaId: string;
      method: 'MULTIPART';
      partSize: number;
      parts: Array<{ partNumber: number; size: number; url: string }>;
      expiresInSeconds: number;
    };
