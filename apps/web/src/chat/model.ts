import type { ConversationSummary, HistoryMessage, MediaAttachment, MediaReference } from '#libs/protocol';

/** Where one of my messages is: the ticks it shows. */
export type TickStatus = 'pending' | 'sent' | 'delivered' | 'read' | 'failed';

/** A message as the timeline shows it: from the server, or written here and not yet acknowledged. */
export interface TimelineMessage {
  /** The server's message id; absent while the message waits in the outbox. */
  readonly messageId?: string;
  readonly clientMessageId: string;
  readonly conversationId: string;
  readonly senderUserId: string;
  readonly text: string;
  readonly media?: MediaReference | (MediaAttachment & { kind?: string });
  readonly replyTo?: string;
  readonly mentions?: readonly string[];
  readonly system?: HistoryMessage['system'];
  readonly sentAt: string;
  /** Mine only: failed sends keep the server's error. */
  readonly failed?: string;
}

/** A conversation summary as the list keeps it up to date between listings. */
export type Conversation = {
  -readonly [K in keyof Omit<ConversationSummary, 'lastMessage'>]: ConversationSummary[K];
} & { lastMessage?: TimelineMessage };

/** One file on its way to the object store, shown under the composer with its progress or error. */
export interface Upload {
  readonly id: string;
  readonly conversationId: string;
  readonly fileName: string;
  /** 0..1 */
  progress: number;
  error?: string;
}

export function fromServer(m: HistoryMessage): TimelineMessage {
  return {
    messageId: m.messageId,
    clientMessageId: m.clientMessageId,
    conversationId: m.conversationId,
    senderUserId: m.senderUserId,
    text: m.text,
    ...(m.media ? { media: m.media } : {}),
    ...(m.replyTo ? { replyTo: m.replyTo } : {}),
    ...(m.mentions ? { mentions: m.mentions } : {}),
    ...(m.system ? { system: m.system } : {}),
    sentAt: m.sentAt,
  };
}

/** Snowflake ids are decimal strings of 64-bit numbers: compare them as numbers, not as text. */
export function compareIds(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Timeline order: server messages by id, then what still waits in the outbox, in writing order. */
export function compareMessages(a: TimelineMessage, b: TimelineMessage): number {
  if (a.messageId && b.messageId) return compareIds(a.messageId, b.messageId);
  if (a.messageId) return -1;
  if (b.messageId) return 1;
  return a.sentAt < b.sentAt ? -1 : a.sentAt > b.sentAt ? 1 : 0;
}
