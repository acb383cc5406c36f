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

/** Every conversation's meta subject, in every partition (core-NATS listeners of membership changes). */
export function conversationMetaWildcard(space: Pick<SubjectSpace, 'namespace'>): string {
  return `${subjectRoot(space)}.conv.*.*.meta`;
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
 * Core NATS (not stored): live frames of one conversation partition, one per event, each listing the
 * devices it is for. Gateways hold one wildcard subscription (liveWildcard) and route in process.
 */
export function liveFrameSubject(space: Pick<SubjectSpace, 'namespace'>, partition: number): string {
  return `${subjectRoot(space)}.live.${partition}`;
}

/** Core NATS (not stored): orders to close the sockets of revoked devices, for every gateway. */
export function liveRevokeSubject(space: Pick<SubjectSpace, 'namespace'>): string {
  return `${subjectRoot(space)}.live.revoke`;
}

/**
 * Core NATS (not stored): a projector's connection to NATS came back, so live frames it published
 * around the break may be lost; every gateway has its devices sync.
 */
export function liveInterruptedSubject(space: Pick<SubjectSpace, 'namespace'>): string {
  return `${subjectRoot(space)}.live.interrupted`;
}

/** What each gateway subscribes to: the live frames of every partition, revocations and interruptions. */
export function liveWildcard(space: Pick<SubjectSpace, 'namespace'>): string {
  return `${subjectRoot(space)}.live.*`;
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

/** Core NATS (never stored), one subject for all gateways: a device's one-time prekeys run low (E2E). */
export function prekeysLowSubject(space: Pick<SubjectSpace, 'namespace'>): string {
  return `${subjectRoot(space)}.e2e.prekeys`;
}

/** Core NATS (never stored), one subject for all gateways: orders to close a device's sockets. */
export function sessionControlSubject(space: Pick<SubjectSpace, 'namespace'>): string {
  return `${subjectRoot(space)}.sessions`;
}

/**
 * Core NATS (never stored), one subject per conversation partition: gateways tell that partition's
 * delivery reactor which entries devices acknowledged, once the MessageDelivered naming them is stored.
 * At most once: a notice lost only costs an inbox row that the device acknowledges again after a sync.
 */
export function ackedSubject(space: Pick<SubjectSpace, 'namespace'>, partition: number): string {
  return `${subjectRoot(space)}.acked.${partition}`;
}

/** Every partition's acked subject (a listener of all of them, e.g. the notifier). */
export function ackedWildcard(space: Pick<SubjectSpace, 'namespace'>): string {
  return `${subjectRoot(space)}.acked.*`;
}

/**
 * Core NATS (never stored): the conversation projection's progress per partition (what it published
 * live, and the gap-free floor it has persisted), so gateways need not poll consumer info.
 */
export function projectionProgressSubject(space: Pick<SubjectSpace, 'namespace'>): string {
  return `${subjectRoot(space)}.progress.conversations`;
}

/**
 * Core NATS (never stored), one subject for all gateways: a user's profile changed, with the users whose
 * devices get a `profile` frame. Profile changes are rare next to messages, so every gateway reading
 * every notice (and picking the recipients it holds) costs less than a subscription per user.
 */
export function profileLiveSubject(space: Pick<SubjectSpace, 'namespace'>): string {
  return `${subjectRoot(space)}.profile-live`;
}

/**
 * Core NATS, one subject for all gateways: a user's block list changed (the whole new list). Every
 * gateway updates its cache and sends a `blocks` frame to the user's devices it holds.
 */
export function blocksLiveSubject(space: Pick<SubjectSpace, 'namespace'>): string {
  return `${subjectRoot(space)}.blocks-live`;
}
