import { SUBJECT_TOKEN } from '#libs/events';

/**
 * What gateways and the delivery reactor tell each other over core NATS (never stored). Both sides
 * validate what they read: a malformed notice is dropped, never trusted.
 */

/** Entries devices acknowledged, sent after the MessageDelivered naming them is stored (PubAck). */
export interface AckedNotice {
  readonly entries: ReadonlyArray<{
    readonly userId: string;
    readonly deviceId: string;
    readonly entryId: string;
  }>;
}

/**
 * The conversation projection's position in one partition: `published` is the highest stream sequence
 * whose live frame went out, `floor` the highest at or below which every event is persisted and acked.
 */
export interface ProjectionProgress {
  readonly partition: number;
  readonly published: number;
  readonly floor: number;
}

/** As entryId() of read-models writes it: `<partition>:<stream seq>`. */
const ENTRY_ID = /^\d{1,2}:\d{1,15}$/;
const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

export function parseAckedNotice(v: unknown): AckedNotice | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const entries = (v as { entries?: unknown }).entries;
  if (!Array.isArray(entries)) return undefined;
  for (const e of entries as unknown[]) {
    if (typeof e !== 'object' || e === null) return undefined;
    const { userId, deviceId, entryId } = e as Record<string, unknown>;
    if (typeof userId !== 'string' || !SUBJECT_TOKEN.test(userId)) return undefined;
    if (typeof deviceId !== 'string' || !SUBJECT_TOKEN.test(deviceId)) return undefined;
    if (typeof entryId !== 'string' || !ENTRY_ID.test(entryId)) return undefined;
  }
  return v as AckedNotice;
}

export function parseProjectionProgress(v: unknown): ProjectionProgress | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const { partition, published, floor } = v as Record<string, unknown>;
  return isSeq(partition) && isSeq(published) && isSeq(floor) ? { partition, published, floor } : undefined;
}
