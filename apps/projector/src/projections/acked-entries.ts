import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { ackedSubject } from '#libs/events';
import { errorMessageOf, NatsClient, parseAckedNotice, type AckedNotice, subscribeNotices } from '#libs/nats';
import { BoundedMap, LOGGER } from '#libs/platform';
import { InboxStore, parseEntryId, type InboxEntry } from '#libs/read-models';

/** Acknowledged (user, device, entry) remembered, at most: enough for the entries in flight. */
const ACKED_MAX = 200_000;
/** Inbox rows this process wrote, remembered so a later acknowledgement deletes them. */
const WRITTEN_MAX = 200_000;

/**
 * How long an entry's inbox rows wait for acknowledgements after its live frame went out, while
 * gateways are sending notices at all: an online device acknowledges within milliseconds, and then
 * its row is never written (nor deleted). Only the persistence waits, never the delivery.
 */
const ACK_GRACE_MS = 25;
/** Notices heard this recently mean gateways send them: worth waiting for. */
const NOTICES_RECENT_MS = 10_000;

interface Waiter {
  readonly pending: Set<string>;
  readonly deadline: number;
  readonly resolve: () => void;
}

const keyOf = (userId: string, deviceId: string, entryId: string): string =>
  `${userId}/${deviceId}/${entryId}`;

/**
 * Which devices acknowledged which entries, from the gateways' AckedNotices (core NATS, sent once the
 * MessageDelivered naming them is stored). The delivery reactor writes no inbox row for an entry a
 * device already acknowledged, and deletes the rows it wrote for entries acknowledged afterwards: an
 * online device that acknowledges within milliseconds costs no inbox write and no delete. Everything
 * is bounded and best effort: a notice lost or forgotten only leaves a row that the device gets again
 * at its next sync and acknowledges again.
 */
@Injectable()
export class AckedEntries implements OnModuleInit, OnModuleDestroy {
  private readonly acked = new Set<string>();
  /** Rows written ('done') or being written ('writing'), by key. */
  private readonly rows = new BoundedMap<string, 'writing' | 'done'>(WRITTEN_MAX);
  private readonly subs: Subscription[] = [];
  private lastNoticeAt = 0;
  /** In deadline order; one timer for the head, never one per entry. */
  private waiters: Waiter[] = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly nats: NatsClient,
    private readonly inbox: InboxStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    for (let p = 0; p < this.nats.topology.partitions; p++)
      this.subs.push(
        subscribeNotices(this.nats.nc, ackedSubject(this.nats.topology, p), parseAckedNotice, (n) =>
          this.onNotice(n),
        ),
      );
  }

  onModuleDestroy(): void {
    for (const s of this.subs) s.unsubscribe();
    clearTimeout(this.timer);
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
  }

  has(userId: string, deviceId: string, entryId: string): boolean {
    return this.acked.has(keyOf(userId, deviceId, entryId));
  }

  /**
   * Resolves once every one of these rows is acknowledged, or once the grace period after the entry was
   * published is over; at once when no gateway has sent notices lately.
   */
  settle(entries: readonly InboxEntry[], entryId: string, publishedAt: number): Promise<void> {
    const deadline = publishedAt + ACK_GRACE_MS;
    if (Date.now() - this.lastNoticeAt > NOTICES_RECENT_MS || deadline <= Date.now())
      return Promise.resolve();
    const pending = new Set(
      entries.map((e) => keyOf(e.userId, e.deviceId, entryId)).filter((k) => !this.acked.has(k)),
    );
    if (pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      // Deadlines come almost in order (publish order): insert from the back.
      let at = this.waiters.length;
      while (at > 0 && this.waiters[at - 1]!.deadline > deadline) at--;
      this.waiters.splice(at, 0, { pending, deadline, resolve });
      if (at === 0) {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.expire(), deadline - Date.now());
      }
    });
  }

  private expire(): void {
    this.timer = undefined;
    const now = Date.now();
    while (this.waiters[0] && this.waiters[0].deadline <= now) this.waiters.shift()!.resolve();
    if (this.waiters[0]) this.timer = setTimeout(() => this.expire(), this.waiters[0].deadline - now);
  }

  /** Writes these rows of one entry, then deletes those acknowledged while they were being written. */
  async write(entries: readonly InboxEntry[], entryId: string, add: () => Promise<void>): Promise<void> {
    const keys = entries.map((e) => keyOf(e.userId, e.deviceId, entryId));
    for (const k of keys) this.remember(k, 'writing');
    try {
      await add();
    } catch (err) {
      for (const k of keys) this.rows.delete(k);
      throw err;
    }
    const late = entries.filter((e, i) => {
      const k = keys[i]!;
      if (!this.acked.has(k)) {
        this.remember(k, 'done');
        return false;
      }
      this.rows.delete(k);
      return true;
    });
    for (const e of late) this.remove(e.userId, e.deviceId, entryId);
  }

  private onNotice(notice: AckedNotice): void {
    this.lastNoticeAt = Date.now();
    for (const { userId, deviceId, entryId } of notice.entries) {
      const k = keyOf(userId, deviceId, entryId);
      this.acked.add(k);
      for (const w of this.waiters) w.pending.delete(k);
      if (this.acked.size > ACKED_MAX) this.acked.delete(this.acked.values().next().value as string);
      if (this.rows.get(k) === 'done') {
        this.rows.delete(k);
        this.remove(userId, deviceId, entryId);
      }
    }
    if (this.waiters.some((w) => w.pending.size === 0)) {
      for (const w of this.waiters) if (w.pending.size === 0) w.resolve();
      this.waiters = this.waiters.filter((w) => w.pending.size > 0);
    }
  }

  private remember(k: string, state: 'writing' | 'done'): void {
    this.rows.set(k, state);
  }

  private remove(userId: string, deviceId: string, entryId: string): void {
    const position = parseEntryId(entryId);
    if (!position) return;
    this.inbox.remove(userId, deviceId, [position]).catch((err: unknown) =>
      // The row stays: the device gets it again at its next sync and acknowledges it again.
      this.logger.debug({ err: errorMessageOf(err), userId, deviceId, entryId }, 'acked row not deleted'),
    );
  }
}
