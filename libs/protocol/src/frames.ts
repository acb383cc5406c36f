import type { ErrorBody } from './errors.js';
import type { E2eSend, MessageE2e, PreKeyCounts } from './e2e.js';

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
  /** A location message (its text is empty). */
  readonly location?: LocationView;
  readonly replyTo?: string;
  /** The message replied to, resolvable with history.get (its conversation is another one for a private reply). */
  readonly quote?: QuotedMessage;
  /** Members mentioned in the text. */
  readonly mentions?: readonly string[];
  /** Set on system messages (someone joined, left, ...): they take a seq like any message. */
  readonly system?: SystemNotice;
  /** An end-to-end encrypted message (its `text` is empty): this device's ciphertext (see e2e.ts). */
  readonly e2e?: MessageE2e;
  readonly sentAt: string;
  /** In history and lists: when the text or caption (now the latest) was last edited. */
  readonly editedAt?: string;
  /** In history and lists: the message was deleted for everyone; its text and media are gone. */
  readonly deleted?: MessageDeletion;
  /** A forwarded copy: hops from the original (1: forwarded once). */
  readonly forwardCount?: number;
  /** forwardCount is FORWARDED_MANY_TIMES or more: shown as "forwarded many times". */
  readonly forwardedManyTimes?: true;
  /** In history: members' reactions, one per member, by emoji (most first). */
  readonly reactions?: readonly ReactionCount[];
  /** Disappearing messages: when the server removes it everywhere (sent under a timer). */
  readonly expiresAt?: string;
}

export interface ReactionCount {
  readonly emoji: string;
  readonly count: number;
  /** Who reacted with it, sorted. */
  readonly userIds: readonly string[];
}

export interface MessageDeletion {
  readonly byUserId: string;
  /** A group admin deleted another member's message. */
  readonly byAdmin: boolean;
  readonly at: string;
}

/** From this many hops on a message is "forwarded many times", and goes to one chat at a time. */
export const FORWARDED_MANY_TIMES = 5;

/** How a forwarded copy is marked in messages, history and lists. */
export function forwardMarks(forwardCount: number): { forwardCount: number; forwardedManyTimes?: true } {
  return forwardCount >= FORWARDED_MANY_TIMES ? { forwardCount, forwardedManyTimes: true } : { forwardCount };
}

export type MessageAction = 'edited' | 'deleted' | 'hidden' | 'reacted' | 'expired';

/**
 * Something done to a message already sent (issue 19), pushed to the members' devices as an inbox entry
 * of its own (acknowledged like a receipt): `edited` carries the new `text` or `caption`, `deleted`
 * says who deleted it (`byAdmin`), `hidden` reaches the hiding user's own devices only, `expired` says a
 * disappearing message's time ran out (remove it; `userId`/`deviceId` name its sender).
 */
export interface MessageUpdate {
  readonly entryId: string;
  readonly conversationId: string;
  readonly messageId: string;
  readonly action: MessageAction;
  /** Who did it, from which device. */
  readonly userId: string;
  readonly deviceId: string;
  readonly text?: string;
  readonly caption?: string;
  readonly byAdmin?: boolean;
  /** `edited` of a live location: the point now, or (liveStopped) that sharing ended. */
  readonly location?: { readonly latitude: number; readonly longitude: number };
  readonly liveStopped?: true;
  /** `reacted`: the member's emoji now; absent when they removed their reaction. */
  readonly emoji?: string;
  readonly at: string;
}

/** A shared point; a live location also says until when it is shared and whether it was stopped. */
export interface LocationView {
  readonly latitude: number;
  readonly longitude: number;
  readonly name?: string;
  readonly address?: string;
  readonly liveUntil?: string;
  readonly liveStopped?: true;
}

/** What a client sends to share a location; `liveSeconds` (60-28800) makes it live for that long. */
export interface LocationAttachment {
  readonly latitude: number;
  readonly longitude: number;
  readonly name?: string;
  readonly address?: string;
  readonly liveSeconds?: number;
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
  | 'created'
  | 'joined'
  | 'left'
  | 'removed'
  | 'promoted'
  | 'demoted'
  | 'renamed'
  | 'settings_changed'
  | 'icon_changed'
  /** `userIds[0]`'s E2E identity key changed (E2E: verify their security code again). */
  | 'security_code_changed'
  /** Disappearing messages turned on or off (`disappearing`): messages sent from now on expire so. */
  | 'disappearing_changed';

export type DisappearingTimer = 'off' | '24h' | '7d' | '90d';

/** A conversation's disappearing messages: the named timer, and what it lasts in seconds (0: off). */
export interface DisappearingSetting {
  readonly timer: DisappearingTimer;
  readonly seconds: number;
}

/** What a system message says: `actorUserId` did `kind` to `userIds`. */
export interface SystemNotice {
  readonly kind: SystemNoticeKind;
  readonly actorUserId: string;
  readonly userIds?: readonly string[];
  readonly subject?: string;
  readonly description?: string;
  readonly settings?: GroupSettings;
  /** `disappearing_changed`: the timer now. */
  readonly disappearing?: DisappearingSetting;
}

export interface GroupMember {
  readonly userId: string;
  readonly role: 'admin' | 'member';
  /** When the member joined (created the group, or was added). */
  readonly joinedAt?: string;
}

export interface GroupInfo {
  readonly conversationId: string;
  readonly subject: string;
  readonly description?: string;
  readonly settings: GroupSettings;
  readonly members: readonly GroupMember[];
  /** The group's icon: a short-lived download URL of the image. */
  readonly icon?: { readonly iconId: string; readonly url: string; readonly expiresInSeconds: number };
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
  /** The user's own view (issue 19): archived, pinned (listed first), muted (until then, or for ever). */
  readonly archived?: true;
  readonly pinned?: true;
  readonly muted?: true;
  readonly mutedUntil?: string;
  /** conversation.get: disappearing messages, when on (from the conversation's log, current). */
  readonly disappearing?: DisappearingSetting;
}

/** The answer to conversation.set_disappearing. */
export interface DisappearingResult {
  readonly conversationId: string;
  readonly timer: DisappearingTimer;
  /** What the timer lasts (0: off). */
  readonly seconds: number;
  /** The system message that shows the change in the timeline. */
  readonly systemMessageId: string;
  readonly duplicate: boolean;
}

/** A message the user starred, as history shows it now (a deleted one as its placeholder). */
export interface StarredMessage {
  readonly starredAt: string;
  readonly message: HistoryMessage;
}

export interface SendResult {
  readonly conversationId: string;
  readonly messageId: string;
  readonly clientMessageId: string;
  readonly sentAt: string;
  readonly duplicate: boolean;
  /**
   * E2E sends in a group: the membership version the message was decided against (a sender-key
   * distribution's `distributionVersion`).
   */
  readonly membersVersion?: number;
}

export type PresenceAudience = 'everyone' | 'contacts' | 'nobody';

export interface PrivacySettingsView {
  readonly lastSeen: PresenceAudience;
  readonly online: PresenceAudience;
  /** Who sees the avatar and the about line (the display name is seen by everyone). */
  readonly avatar: PresenceAudience;
  readonly about: PresenceAudience;
}

/**
 * A user's profile as one viewer may see it. `visible` says what the user's privacy settings let the
 * viewer see; what is hidden (or not set) is left out. `avatar.url` is a short-lived download URL.
 * `version` is opaque and grows with every change.
 */
export interface ProfileView {
  readonly userId: string;
  readonly displayName?: string;
  readonly about?: string;
  readonly avatar?: { readonly avatarId: string; readonly url: string; readonly expiresInSeconds: number };
  readonly visible: { readonly avatar: boolean; readonly about: boolean };
  readonly version: string;
  /** The account was deleted (or forgotten): show its messages as from a deleted account. */
  readonly deleted?: true;
}

/** `POST /v1/contacts` answer: the added numbers that have an account, the numbers that are no E.164 number. */
export interface ContactsChangeResult {
  readonly registered: ReadonlyArray<{ readonly phone: string; readonly profile: ProfileView }>;
  readonly invalid: readonly string[];
  /** Numbers in the contact set now. */
  readonly contacts: number;
}

/** `profile.set`: omitted fields keep their value; `removeAvatar` drops the avatar. */
export interface ProfileUpdate {
  readonly displayName?: string;
  readonly about?: string;
  /** A completed image upload of the caller (POST /v1/media, kind image). */
  readonly avatarMediaId?: string;
  readonly removeAvatar?: true;
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

/** The caller's block list (`block.*` answers, the `blocks` frame); `version` is opaque and grows. */
export interface BlockList {
  readonly blocked: readonly string[];
  readonly version: string;
}

export type ReportReason = 'spam' | 'abuse' | 'illegal' | 'other';

/** A message of an E2E conversation the reporter attaches as their client decrypted it. */
export interface ReportedMessageInput {
  readonly messageId: string;
  readonly senderUserId: string;
  readonly text?: string;
}

/**
 * `report.create`: a user (`userId`) or a conversation (`conversationId`, the caller a member). For a
 * plaintext conversation the server copies `messageIds` (at most 5) from the timeline; for an E2E one the
 * client supplies `messages`. `block` also blocks the user (a conversation: its other member, 1:1 only).
 */
export interface ReportRequest {
  readonly userId?: string;
  readonly conversationId?: string;
  readonly reason: ReportReason;
  readonly comment?: string;
  readonly messageIds?: readonly string[];
  readonly messages?: readonly ReportedMessageInput[];
  readonly block?: boolean;
}

/** Every request a client can send, with its data and its result data. */
export interface Requests {
  ping: { data: Record<string, never>; result: { time: string } };
  sync: { data: { cursor?: string }; result: { cursor: string; count: number; complete: boolean } };
  'conversation.open_direct': {
    data: { userId: string; e2e?: boolean };
    /** `e2e`: whether the conversation is end-to-end encrypted (only E2E content may be sent). */
    result: { conversationId: string; created: boolean; e2e: boolean };
  };
  'message.send': {
    /** Exactly one of `text`, `media`, `location` and `e2e`. */
    data: {
      conversationId: string;
      clientMessageId: string;
      text?: string;
      media?: MediaAttachment;
      location?: LocationAttachment;
      /** End-to-end encrypted content. */
      e2e?: E2eSend;
      replyTo?: string;
      mentions?: string[];
      /**
       * The client sends this again after losing the answer (a retry from its outbox): the server then
       * also looks for the first message past JetStream's duplicate window.
       */
      resend?: boolean;
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
    data: { subject: string; description?: string; members: string[]; e2e?: boolean };
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
  /** The group's icon: a completed image upload of the caller (JPEG, PNG, WebP); without mediaId, removed. */
  'group.set_icon': { data: { conversationId: string; mediaId?: string }; result: GroupChangeResult };
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
  'profile.set': { data: ProfileUpdate; result: ProfileView };
  'profile.get': { data: { userIds: string[] }; result: { profiles: ProfileView[] } };
  'profile.changes': {
    data: { since?: string };
    result: { profiles: ProfileView[]; cursor: string; complete: boolean };
  };
  'block.add': { data: { userId: string }; result: BlockList };
  'block.remove': { data: { userId: string }; result: BlockList };
  'block.list': { data: Record<string, never>; result: BlockList };
  'report.create': { data: ReportRequest; result: { reportId: string; blocked: boolean } };
  /**
   * Exactly one of `text` (a text message), `caption` (a media message), `location` (a live location's
   * new point) and `stopLive` (a live location ends).
   */
  'message.edit': {
    data: {
      conversationId: string;
      messageId: string;
      clientActionId: string;
      text?: string;
      caption?: string;
      location?: { latitude: number; longitude: number };
      stopLive?: true;
    };
    result: MessageActionResult;
  };
  'message.delete': {
    data: { conversationId: string; messageId: string; clientActionId: string; forEveryone: boolean };
    result: MessageActionResult;
  };
  /**
   * Disappearing messages on (24h, 7d, 90d) or off: any member of a direct chat; in a group whoever may
   * edit the group info. Messages sent from then on expire that long after they were sent.
   */
  'conversation.set_disappearing': {
    data: { conversationId: string; timer: DisappearingTimer; clientActionId: string };
    result: DisappearingResult;
  };
  'conversation.archive': {
    data: { conversationId: string; archived: boolean };
    result: { conversationId: string; archived: boolean };
  };
  /** At most 3 pinned conversations (PIN_LIMIT). */
  'conversation.pin': {
    data: { conversationId: string; pinned: boolean };
    result: { conversationId: string; pinned: boolean };
  };
  'message.star': {
    data: { conversationId: string; messageId: string; starred: boolean };
    result: { conversationId: string; messageId: string; starred: boolean };
  };
  /** The user's starred messages, most recently starred first. */
  'starred.list': { data: { limit?: number }; result: { messages: StarredMessage[] } };
  /** Copies a message to 1-5 chats (one for a message forwarded many times), each with its own client id. */
  'message.forward': {
    data: {
      fromConversationId: string;
      messageId: string;
      to: Array<{ conversationId: string; clientMessageId: string }>;
    };
    result: { forwards: SendResult[] };
  };
  /** One emoji replaces the caller's reaction; without `emoji`, their reaction is removed. */
  'message.react': {
    data: { conversationId: string; messageId: string; clientActionId: string; emoji?: string };
    result: MessageActionResult;
  };
}

/** What an action on a message answers once the log stored it; `duplicate` for a resend. */
export interface MessageActionResult {
  readonly conversationId: string;
  readonly messageId: string;
  readonly action: MessageAction;
  readonly at: string;
  readonly duplicate: boolean;
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
  'profile.set',
  'profile.get',
  'profile.changes',
  'message.edit',
  'message.delete',
  'message.react',
  'message.forward',
  'conversation.set_disappearing',
  'conversation.archive',
  'conversation.pin',
  'message.star',
  'starred.list',
  'group.set_icon',
  'block.add',
  'block.remove',
  'block.list',
  'report.create',
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
  | { readonly type: 'update'; readonly data: MessageUpdate }
  | { readonly type: 'presence'; readonly data: PresenceState }
  | { readonly type: 'typing'; readonly data: TypingIndicator }
  | { readonly type: 'profile'; readonly data: ProfileView }
  | { readonly type: 'blocks'; readonly data: BlockList }
  | { readonly type: 'prekeys.low'; readonly data: PreKeyCounts };

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
