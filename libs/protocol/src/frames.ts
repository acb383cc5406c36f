import type { ErrorBody } from './errors.js';

/**
 * Wire types of the WebSocket protocol (docs/protocol.md), shared by the gateway and the client SDK.
 * Pure types and constants: the gateway validates incoming frames with its DTOs.
 */
export const PROTOCOL_PATH = '/v1/ws';

/** Frames above this get FRAME_TOO_LARGE; above HARD_FRAME_LIMIT_BYTES the socket closes with 1009. */
export const FRAME_LIMIT_BYTES = 64 * 1024;
export const HARD_FRAME_LIMIT_BYTES = 1024 * 1024;

export const CLOSE_CODES = {
  unauthenticated: 4401,
  revoked: 4403,
  goingAway: 1001,
} as const;

export interface InboxMessage {
  readonly entryId: string;
  readonly conversationId: string;
  readonly messageId: string;
  readonly seq: number;
  readonly senderUserId: string;
  readonly senderDeviceId: string;
  readonly clientMessageId: string;
  readonly text: string;
  readonly replyTo?: string;
  readonly sentAt: string;
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
  readonly at: string;
}

export interface ConversationSummary {
  readonly conversationId: string;
  readonly kind: 'direct' | 'group';
  readonly members: readonly string[];
  readonly lastActivityAt: string;
  readonly lastMessage?: HistoryMessage;
  readonly unreadCount: number;
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
  sync: { data: { cursor?: string }; result: { cursor: string; count: number } };
  'conversation.open_direct': {
    data: { userId: string };
    result: { conversationId: string; created: boolean };
  };
  'message.send': {
    data: { conversationId: string; clientMessageId: string; text: string; replyTo?: string };
    result: {
      conversationId: string;
      messageId: string;
      clientMessageId: string;
      sentAt: string;
      duplicate: boolean;
    };
  };
  ack: { data: { entries: string[] }; result: { acked: number; cursor: string } };
  'message.read': { data: { conversationId: string; upToMessageId: string }; result: Record<string, never> };
  'history.get': {
    data: { conversationId: string; before?: string; after?: string; limit?: number };
    result: { messages: HistoryMessage[] };
  };
  'conversations.list': { data: { limit?: number }; result: { conversations: ConversationSummary[] } };
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
