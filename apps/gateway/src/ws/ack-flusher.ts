import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { ackedSubject } from '#libs/events';
import { ConversationCommandHandler, NatsClient, type AckedNotice } from '#libs/nats';
import { CLOCK, LOGGER, type Clock } from '#libs/platform';
import { entryId, InboxStore, type LogPosition } from '#libs/read-models';
import { ProjectionFloor } from '../conversations/projection-floor.js';
import type { DeviceConnection, SentEntry } from './device-connection.js';
import { DeviceFloors } from './device-floors.js';

/** Acknowledgements wait at most this long for the others of their flush. */
const FLUSH_MS = 4;
/** Bounds of one MessageDelivered (the schema's, and a size well under NATS's max_payload). */
const DELIVERIES_PER_EVENT = 1024;
const IDS_PER_DELIVERY = 500;
const IDS_PER_EVENT = 2000;
const ENTRIES_PER_NOTICE = 1000;

/** An entry a device acknowledged: where it is, what it is, and whether its inbox row is known written. */
export interface AckedEntry {
  readonly pos: LogPosition;
  readonly entry: SentEntry;
  /** Read from the inbox (a sync, a lookup): its row exists, whatever the projection floor says. */
  readonly stored: boolean;
}

interface PendingAck {
  readonly conn: DeviceConnection;
  readonly entries: readonly AckedEntry[];
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

type Delivery = { userId: string; deviceId: string; messageIds: string[] };

interface DeviceRows {
  readonly userId: string;
  readonly deviceId: string;
  readonly positions: LogPosition[];
}

/**
 * Gathers the acknowledgements of every socket of this gateway for a few milliseconds, then:
 * 1. appends one MessageDelivered per conversation listing every (user, device, messages) of the flush,
 *    all conversations' appends in flight at once;
 * 2. only after their PubAcks (a receipt is in the log before an inbox entry goes), tells the
 *    partitions' delivery reactors which entries were acknowledged (AckedNotice: the reactor skips or
 *    deletes the rows it writes), and deletes the rows this gateway knows are written (removeRows),
 *    one statement per device partition;
 * 3. raises the floors due (DeviceFloors).
 * A crash anywhere leaves entries in the inbox: they come again at the next sync and the client
 * de-duplicates them; the receipts they bring again change nothing.
 */
@Injectable()
export class AckFlusher implements OnModuleDestroy {
  readonly floors: DeviceFloors;
  private queue: PendingAck[] = [];
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

  constructor(
    private readonly conversations: ConversationCommandHandler,
    private readonly inbox: InboxStore,
    private readonly projection: ProjectionFloor,
    private readonly nats: NatsClient,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.floors = new DeviceFloors(inbox, projection);
  }

  onModuleDestroy(): void {
    clearTimeout(this.timer);
  }

  /** Resolves once these entries' receipts are stored and their rows deleted (or handed on). */
  add(conn: DeviceConnection, entries: readonly AckedEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ conn, entries, resolve, reject });
      this.schedule(FLUSH_MS);
    });
  }

  /** The socket closed: its acknowledgements are flushed and its floor saved now. */
  async closed(conn: DeviceConnection): Promise<void> {
    if (this.queue.some((a) => a.conn === conn)) await this.flushNow();
    else await this.flushing;
    if (this.floors.due(conn, Date.now(), true)) await this.floors.raise(conn, Date.now());
  }

  private schedule(delayMs: number): void {
    if (this.timer || this.flushing) return; // the running flush schedules the next one
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flushNow();
    }, delayMs);
  }

  private async flushNow(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.flushing) await this.flushing;
    const batch = this.queue;
    this.queue = [];
    const run = this.flush(batch).catch((err: unknown) => {
      // flush() answers each ack itself; this is a defect, not a dependency failure.
      this.logger.error({ err }, 'ack flush failed');
    });
    this.flushing = run;
    await run;
    this.flushing = undefined;
    if (this.queue.length > 0) this.schedule(FLUSH_MS);
  }

  private async flush(batch: readonly PendingAck[]): Promise<void> {
    const failed = await this.appendDelivered(batch);
    const done = new Map<PendingAck, AckedEntry[]>();
    for (const ack of batch)
      done.set(
        ack,
        ack.entries.filter((e) => !failed.has(e.entry.conversationId)),
      );
    this.notify(done);
    let cleanup: unknown;
    try {
      await this.removeRows(done);
    } catch (err) {
      cleanup = err;
    }
    const now = Date.now();
    await Promise.all(
      batch.map(async (ack) => {
        const entries = done.get(ack)!;
        this.floors.touched(ack.conn, new Set(entries.map((e) => e.pos.partition)));
        const error = cleanup ?? ack.entries.map((e) => failed.get(e.entry.conversationId)).find((x) => x);
        if (error !== undefined) return ack.reject(error);
        try {
          if (this.floors.due(ack.conn, now)) await this.floors.raise(ack.conn, now);
          ack.resolve();
        } catch (err) {
          ack.reject(err);
        }
      }),
    );
  }

  /**
   * One MessageDelivered per conversation (split only past an event's bounds), every append in flight
   * at once. Returns the conversations whose append failed, with the error: their entries stay.
   */
  private async appendDelivered(batch: readonly PendingAck[]): Promise<Map<string, unknown>> {
    const byConversation = new Map<
      string,
      Map<string, { userId: string; deviceId: string; ids: Set<string> }>
    >();
    for (const { conn, entries } of batch)
      for (const { entry } of entries) {
        // A system message or a receipt has no sender waiting for ticks; one's own message neither.
        if (entry.kind !== 'message' || !entry.messageId || entry.senderUserId === conn.userId) continue;
        let devices = byConversation.get(entry.conversationId);
        if (!devices) byConversation.set(entry.conversationId, (devices = new Map()));
        const key = `${conn.userId}/${conn.deviceId}`;
        const d = devices.get(key);
        if (d) d.ids.add(entry.messageId);
        else
          devices.set(key, { userId: conn.userId, deviceId: conn.deviceId, ids: new Set([entry.messageId]) });
      }
    const now = this.clock.now();
    const jobs = [...byConversation].flatMap(([conversationId, devices]) =>
      eventsOf(
        [...devices.values()].map((d) => ({
          userId: d.userId,
          deviceId: d.deviceId,
          messageIds: [...d.ids],
        })),
      ).map((deliveries) => ({ conversationId, deliveries })),
    );
    const results = await Promise.allSettled(
      jobs.map(async ({ conversationId, deliveries }) => {
        const outcome = await this.conversations.handle(
          conversationId,
          { type: 'AcknowledgeDelivery', deliveries },
          { now },
        );
        // Refused (every device's user left the group meanwhile): nothing to record, the entries go.
        if (!outcome.ok)
          this.logger.debug({ conversationId, code: outcome.error.code }, 'delivery receipt refused');
      }),
    );
    const failed = new Map<string, unknown>();
    results.forEach((r, i) => {
      if (r.status === 'rejected') failed.set(jobs[i]!.conversationId, r.reason);
    });
    return failed;
  }

  /** AckedNotice per partition: at most once, after the receipts are stored. */
  private notify(done: ReadonlyMap<PendingAck, readonly AckedEntry[]>): void {
    const byPartition = new Map<number, Array<AckedNotice['entries'][number]>>();
    for (const [{ conn }, entries] of done)
      for (const { pos } of entries) {
        let list = byPartition.get(pos.partition);
        if (!list) byPartition.set(pos.partition, (list = []));
        list.push({ userId: conn.userId, deviceId: conn.deviceId, entryId: entryId(pos) });
      }
    for (const [partition, entries] of byPartition)
      for (let i = 0; i < entries.length; i += ENTRIES_PER_NOTICE) {
        const notice: AckedNotice = { entries: entries.slice(i, i + ENTRIES_PER_NOTICE) };
        this.nats.nc.publish(ackedSubject(this.nats.topology, partition), JSON.stringify(notice));
      }
  }

  /**
   * Deletes the rows this gateway knows are written, or may be: entries read from the inbox, entries at
   * or below the projection floor, and every entry of a partition whose projector publishes no progress
   * (that projector writes rows before it publishes them live). An entry above the floor of a projector
   * that publishes progress may not be written yet: its row is the reactor's, which read the notice.
   */
  private async removeRows(done: ReadonlyMap<PendingAck, readonly AckedEntry[]>): Promise<void> {
    const rows = new Map<string, DeviceRows>();
    const floors = new Map<number, number>();
    for (const [{ conn }, entries] of done)
      for (const { pos, stored } of entries) {
        const p = pos.partition;
        if (!stored && this.projection.heardFrom(p)) {
          if (!floors.has(p)) floors.set(p, await this.projection.of(p));
          if (pos.seq > floors.get(p)!) continue;
        }
        const key = `${conn.userId}/${conn.deviceId}`;
        const r = rows.get(key);
        if (r) r.positions.push(pos);
        else rows.set(key, { userId: conn.userId, deviceId: conn.deviceId, positions: [pos] });
      }
    await Promise.all([...rows.values()].map((r) => this.inbox.remove(r.userId, r.deviceId, r.positions)));
  }
}

/** Deliveries cut into events within their bounds (a device's long list over several records). */
function eventsOf(devices: readonly Delivery[]): Delivery[][] {
  const events: Delivery[][] = [];
  let current: Delivery[] = [];
  let ids = 0;
  for (const d of devices)
    for (let i = 0; i < d.messageIds.length; i += IDS_PER_DELIVERY) {
      const part = {
        userId: d.userId,
        deviceId: d.deviceId,
        messageIds: d.messageIds.slice(i, i + IDS_PER_DELIVERY),
      };
      if (
        current.length >= DELIVERIES_PER_EVENT ||
        (current.length > 0 && ids + part.messageIds.length > IDS_PER_EVENT)
      ) {
        events.push(current);
        current = [];
        ids = 0;
      }
      current.push(part);
      ids += part.messageIds.length;
    }
  if (current.length > 0) events.push(current);
  return events;
}
