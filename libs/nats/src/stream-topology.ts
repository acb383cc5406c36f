import { partitionOf, subjectRoot, type SubjectSpace } from '#libs/events';

export interface StreamSpec {
  readonly name: string;
  readonly subjects: readonly string[];
  readonly description: string;
  /** 0 keeps events forever. */
  readonly maxAgeMs: number;
  readonly duplicateWindowMs: number;
}

export interface TopologySettings extends SubjectSpace {
  readonly replicas: number;
}

const DAY_MS = 86_400_000;
/** Long enough to cover a client retrying after a reconnect; older resends hit the durable client-id record. */
const DUPLICATE_WINDOW_MS = 10 * 60_000;

function streamName(space: Pick<SubjectSpace, 'namespace'>, base: string): string {
  return space.namespace ? `${space.namespace.toUpperCase()}_${base}` : base;
}

export function partitionStreamName(space: Pick<SubjectSpace, 'namespace'>, partition: number): string {
  return streamName(space, `CHAT_${partition}`);
}

export function conversationStreamName(space: SubjectSpace, conversationId: string): string {
  return partitionStreamName(space, partitionOf(conversationId, space.partitions));
}

export function userStreamName(space: SubjectSpace): string {
  return streamName(space, 'USERS');
}

export function presenceStreamName(space: SubjectSpace): string {
  return streamName(space, 'PRESENCE');
}

export function deadLetterStreamName(space: Pick<SubjectSpace, 'namespace'>): string {
  return streamName(space, 'DLQ');
}

/** Where a consumer parks what it gave up on: `chat.dlq.<durable>` (a projection), `chat.dlq.notifier`. */
export function deadLetterSubject(space: Pick<SubjectSpace, 'namespace'>, durable: string): string {
  return `${subjectRoot(space)}.dlq.${durable}`;
}

/** `chatctl dlq retry` republishes a parked event here; the owning projection consumes it again. */
export function deadLetterRetrySubject(space: Pick<SubjectSpace, 'namespace'>, durable: string): string {
  return `${deadLetterSubject(space, durable)}.retry`;
}

/**
 * Every stream the system uses. Conversations are partitioned over k streams CHAT_0..CHAT_{k-1}
 * (never one stream per conversation); users and presence have one stream each; DLQ holds parked events.
 */
export function streamTopology(space: SubjectSpace): StreamSpec[] {
  const root = subjectRoot(space);
  const conversations = Array.from({ length: space.partitions }, (_, p) => ({
    name: partitionStreamName(space, p),
    subjects: [`${root}.conv.${p}.>`],
    description: `Conversation events (meta, msg, rcpt) of partition ${p} of ${space.partitions}`,
    maxAgeMs: 0,
    duplicateWindowMs: DUPLICATE_WINDOW_MS,
  }));
  return [
    ...conversations,
    {
      name: userStreamName(space),
      subjects: [`${root}.user.*`],
      description: 'User aggregates: accounts, devices, settings',
      maxAgeMs: 0,
      duplicateWindowMs: DUPLICATE_WINDOW_MS,
    },
    {
      name: presenceStreamName(space),
      subjects: [`${root}.presence.*`],
      description: 'Presence transitions (online, offline with last seen); limited retention',
      maxAgeMs: 7 * DAY_MS,
      duplicateWindowMs: 60_000,
    },
    {
      name: deadLetterStreamName(space),
      subjects: [`${root}.dlq.>`],
      description:
        'Dead letters: events a projection or the notifier gave up on, with the error (chatctl dlq list | show | retry)',
      maxAgeMs: 30 * DAY_MS,
      duplicateWindowMs: 60_000,
    },
  ];
}
