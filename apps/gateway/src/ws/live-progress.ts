import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { projectionProgressSubject } from '#libs/events';
import { NatsClient, parseProjectionProgress, type ProjectionProgress, subscribeNotices } from '#libs/nats';
import { LOGGER } from '#libs/platform';

interface Waiter {
  readonly partition: number;
  readonly target: number;
  readonly resolve: () => void;
}

/**
 * The delivery reactor's progress per partition as this gateway has heard it (ProjectionProgress on
 * core NATS): the highest event it published live, and the floor at or below which every event is
 * persisted. A sync that must not start before some events are persisted waits here for the floor.
 */
@Injectable()
export class LiveProgress implements OnModuleDestroy {
  private readonly heard = new Map<number, ProjectionProgress>();
  /** Partitions whose announcements may have been lost since they were last heard (see interrupted). */
  private readonly stale = new Set<number>();
  private readonly firstHeard = new Map<number, Array<(p: ProjectionProgress) => void>>();
  private waiters: Waiter[] = [];
  private sub?: Subscription;

  constructor(
    private readonly nats: NatsClient,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Subscribes; called by LiveSessions after its frame subscription, so that one is older on the server. */
  start(): void {
    this.sub ??= subscribeNotices(
      this.nats.nc,
      projectionProgressSubject(this.nats.topology),
      parseProjectionProgress,
      (progress) => {
        if (progress.partition < this.nats.topology.partitions) this.onProgress(progress);
      },
    );
  }

  /** The last progress heard of a partition since this gateway started, if any. */
  of(partition: number): ProjectionProgress | undefined {
    return this.heard.get(partition);
  }

  /**
   * Announcements may have been lost: this gateway's NATS connection broke, or a projector's did (and
   * what it announced last went down with it). Until a partition is heard again, what it `published`
   * is not known here; the floor, only ever raised, stays.
   */
  interrupted(): void {
    for (const partition of this.heard.keys()) this.stale.add(partition);
  }

  /** The last progress of a partition, if heard since the last interruption. */
  current(partition: number): ProjectionProgress | undefined {
    return this.stale.has(partition) ? undefined : this.heard.get(partition);
  }

  /** Resolves with the first progress of the partition heard after now (or the current one). */
  firstOf(partition: number): Promise<ProjectionProgress> {
    const known = this.current(partition);
    if (known) return Promise.resolve(known);
    return new Promise((resolve) => {
      const list = this.firstHeard.get(partition) ?? [];
      list.push(resolve);
      this.firstHeard.set(partition, list);
    });
  }

  /**
   * Resolves true once the partition's floor reaches `target` (at once when it has), false after
   * `maxMs`: a waiter that gives up is dropped, so a stalled floor does not gather them.
   */
  untilFloor(partition: number, target: number, maxMs: number): Promise<boolean> {
    if ((this.heard.get(partition)?.floor ?? -1) >= target) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        partition,
        target,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, maxMs);
      this.waiters.push(waiter);
    });
  }

  private onProgress(p: ProjectionProgress): void {
    const before = this.heard.get(p.partition);
    // A restarted projector may announce a lower floor for a moment; what was persisted stays persisted.
    const now: ProjectionProgress = before
      ? {
          partition: p.partition,
          published: Math.max(before.published, p.published),
          floor: Math.max(before.floor, p.floor),
        }
      : p;
    this.heard.set(p.partition, now);
    this.stale.delete(p.partition);
    const first = this.firstHeard.get(p.partition);
    if (first) {
      this.firstHeard.delete(p.partition);
      for (const resolve of first) resolve(now);
    }
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.partition === p.partition && now.floor >= w.target) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
    this.logger.debug('projection progress: unsubscribed');
  }
}
