/**
 * Subject names of the event log. Conversations carry their stream partition as a token, so an operator
 * can look at one conversation with `chat.conv.*.<conversationId>.>` without knowing the partition.
 *
 *   chat.conv.<p>.<conversationId>.meta   created, members, settings (optimistic concurrency here)
 *   chat.conv.<p>.<conversationId>.msg    messages, edits, deletions
 *   chat.conv.<p>.<conversationId>.rcpt   delivered / read receipts
 *   chat.user.<userId>                    account, devices, settings
 *   chat.presence.<userId>                online / offline transitions (limited retention)
 */
export type ConversationSubjectKind = 'meta' | 'msg' | 'rcpt';

export interface SubjectSpace {
  /** Optional prefix for tests and tenants: subjects become `<ns>.chat...`. */
  readonly namespace?: string | undefined;
  /** Number of conversation stream partitions (k). */
  readonly partitions: number;
}

export function subjectRoot(space: Pick<SubjectSpace, 'namespace'>): string {
  return space.namespace ? `${space.namespace}.chat` : 'chat';
}

/** FNV-1a (32 bit): stable across processes and languages, so any client can find a partition. */
export function partitionOf(conversationId: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < conversationId.length; i++) {
    h ^= conversationId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % partitions;
}

export function conversationSubject(
  space: SubjectSpace,
  conversationId: string,
  kind: ConversationSubjectKind,
): string {
  return `${subjectRoot(space)}.conv.${partitionOf(conversationId, space.partitions)}.${conversationId}.${kind}`;
}

export function userSubject(space: SubjectSpace, userId: string): string {
  return `${subjectRoot(space)}.user.${userId}`;
}

export function presenceSubject(space: SubjectSpace, userId: string): string {
  return `${subjectRoot(space)}.presence.${userId}`;
}

/** Parses a conversation subject back into its parts; undefined for any other subject. */
export function parseConversationSubject(
  space: SubjectSpace,
  subject: string,
): { partition: number; conversationId: string; kind: ConversationSubjectKind } | undefined {
  const prefix = `${subjectRoot(space)}.conv.`;
  if (!subject.startsWith(prefix)) return undefined;
  const [p, conversationId, kind, extra] = subject.slice(prefix.length).split('.');
  if (extra !== undefined || !p || !conversationId) return undefined;
  if (kind !== 'meta' && kind !== 'msg' && kind !== 'rcpt') return undefined;
  return { partition: Number(p), conversationId, kind };
}

/** Ids used in subjects must be single tokens: no dots, wildcards or spaces. */
export const SUBJECT_TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Core NATS (not stored): live frames for the devices of one user. Every gateway holding a device of
 * the user subscribes, so the cluster's interest graph is the routing table.
 */
export function liveSubject(space: Pick<SubjectSpace, 'namespace'>, userId: string): string {
  return `${subjectRoot(space)}.live.${userId}`;
}

/** Core NATS (not stored): live presence updates of one user, for the devices that watch them. */
export function presenceLiveSubject(space: Pick<SubjectSpace, 'namespace'>, userId: string): string {
  return `${subjectRoot(space)}.live-presence.${userId}`;
}

/** Core NATS (never stored): typing and recording indicators of one conversation. */
export function typingSubject(space: Pick<SubjectSpace, 'namespace'>, conversationId: string): string {
  return `${subjectRoot(space)}.typing.${conversationId}`;
}

/** Core NATS notice that a user's data key was destroyed: every process drops its cached copy. */
export function forgottenSubject(space: Pick<SubjectSpace, 'namespace'>, userId: string): string {
  return `${subjectRoot(space)}.forgotten.${userId}`;
}

/** Core NATS (never stored), one subject for all gateways: orders to close a device's sockets. */
export function sessionControlSubject(space: Pick<SubjectSpace, 'namespace'>): string {
  return `${subjectRoot(space)}.sessions`;
}
