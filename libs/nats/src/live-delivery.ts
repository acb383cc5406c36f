import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { subscribeNotices } from './notice-subscription.js';
import {
  liveFrameSubject,
  liveInterruptedSubject,
  liveRevokeSubject,
  liveWildcard,
  SUBJECT_TOKEN,
  type SubjectSpace,
} from '#libs/events';
import type { InboxMessage, MessageUpdate, Receipt } from '#libs/protocol';
import { isDeviceBodies, type DeviceBodies } from './live-e2e.js';

/** What an entry of the live path carries: a message or a receipt, as the inbox row holds it. */
export type LiveEntry =
  | { readonly kind: 'message'; readonly data: Omit<InboxMessage, 'entryId'> }
  | { readonly kind: 'receipt'; readonly data: Omit<Receipt, 'entryId'> }
  | { readonly kind: 'update'; readonly data: Omit<MessageUpdate, 'entryId'> };

/** The devices of one user an entry is for. */
export interface LiveRecipient {
  readonly userId: string;
  readonly deviceIds: readonly string[];
}

/**
 * What travels on the live subjects: one frame per event of a partition, listing its recipients'
 * devices (published before the event is persisted, so a gateway may see it before any inbox row
 * exists), an order to close revoked devices' sockets, or word that a publisher's frames may be lost.
 */
export type LiveFrame =
  | {
      readonly kind: 'entry';
      readonly partition: number;
      /** The event's stream sequence: the entry id is `<partition>:<seq>`. */
      readonly seq: number;
      readonly entryId: string;
      readonly recipients: readonly LiveRecipient[];
      readonly entry: LiveEntry;
      /** A pairwise E2E message: each recipient device's own ciphertext (live-e2e.ts). */
      readonly bodies?: DeviceBodies;
    }
  | { readonly kind: 'revoke'; readonly userId: string; readonly deviceIds: readonly string[] }
  /** A publisher's connection broke and came back: frames of that time may be lost. */
  | { readonly kind: 'interrupted' };

export type LiveEntryFrame = Extract<LiveFrame, { kind: 'entry' }>;

/** Every MessageUpdate action: the compiler checks the list is complete. */
const ACTIONS: Readonly<Record<MessageUpdate['action'], true>> = {
  edited: true,
  deleted: true,
  hidden: true,
  reacted: true,
  expired: true,
};
const MESSAGE_ACTIONS: ReadonlySet<string> = new Set(Object.keys(ACTIONS));

const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isToken = (v: unknown): v is string => typeof v === 'string' && SUBJECT_TOKEN.test(v);
const isTokens = (v: unknown): v is string[] => Array.isArray(v) && v.every(isToken);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

function isLiveEntry(v: unknown): v is LiveEntry {
  if (!isRecord(v) || !isRecord(v.data)) return false;
  const d = v.data;
  if (typeof d.conversationId !== 'string') return false;
  if (v.kind === 'message')
    return typeof d.messageId === 'string' && isSeq(d.seq) && typeof d.senderUserId === 'string';
  if (v.kind === 'receipt')
    return (d.status === 'delivered' || d.status === 'read') && typeof d.userId === 'string';
  if (v.kind === 'update')
    return (
      typeof d.messageId === 'string' &&
      typeof d.action === 'string' &&
      MESSAGE_ACTIONS.has(d.action) &&
      typeof d.userId === 'string'
    );
  return false;
}

/** A frame read from the wire, or undefined when it is not one of ours (dropped, never trusted). */
export function parseLiveFrame(v: unknown): LiveFrame | undefined {
  if (!isRecord(v)) return undefined;
  if (v.kind === 'revoke') return isToken(v.userId) && isTokens(v.deviceIds) ? (v as LiveFrame) : undefined;
  if (v.kind === 'interrupted') return { kind: 'interrupted' };
  if (v.kind !== 'entry' || !isSeq(v.partition) || !isSeq(v.seq)) return undefined;
  if (v.entryId !== `${v.partition}:${v.seq}`) return undefined;
  if (!Array.isArray(v.recipients)) return undefined;
  for (const r of v.recipients as unknown[])
    if (!isRecord(r) || !isToken(r.userId) || !isTokens(r.deviceIds)) return undefined;
  if (v.bodies !== undefined && !isDeviceBodies(v.bodies)) return undefined;
  return isLiveEntry(v.entry) ? (v as LiveFrame) : undefined;
}

/**
 * Publishes and subscribes live frames over core NATS (at most once: the log, and the inbox rows
 * written after the frame, are the durable path).
 */
export class LiveDeliveryBus {
  private connection = 0;
  private announcing = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly space: SubjectSpace,
  ) {
    void this.watchConnection();
  }

  /**
   * Changes whenever the connection to NATS drops or comes back: a frame published before then may be
   * lost (core NATS, at most once), so one published under an earlier epoch must be published again.
   */
  get epoch(): number {
    return this.connection;
  }

  private async watchConnection(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect') this.connection++;
      if (s.type === 'reconnect' && this.announcing)
        this.nc.publish(liveInterruptedSubject(this.space), JSON.stringify({ kind: 'interrupted' }));
    }
  }

  /**
   * For a publisher of frames (the projector): when its connection comes back, tells every gateway that
   * frames it published around the break may be lost. A frame of an event already handled is not
   * published again, and a device whose own gateway stayed connected would otherwise not see it until
   * its next sync; the gateways have their devices sync now.
   */
  announceInterruptions(): void {
    this.announcing = true;
  }

  /** One frame for one event: stringified once, whatever the number of recipients. */
  publish(frame: LiveEntryFrame): void {
    this.nc.publish(liveFrameSubject(this.space, frame.partition), JSON.stringify(frame));
  }

  revoke(userId: string, deviceIds: readonly string[]): void {
    const frame: LiveFrame = { kind: 'revoke', userId, deviceIds };
    this.nc.publish(liveRevokeSubject(this.space), JSON.stringify(frame));
  }

  /** Every live frame of every partition: a gateway's single subscription. */
  subscribeAll(onFrame: (f: LiveFrame) => void): Subscription {
    return subscribeNotices(this.nc, liveWildcard(this.space), parseLiveFrame, onFrame);
  }
}
