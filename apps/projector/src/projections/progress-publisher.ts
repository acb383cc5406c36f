import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { projectionProgressSubject } from '#libs/events';
import { NatsClient, type ProjectionProgress } from '#libs/nats';

/** While busy, at most one announcement per partition this often. */
const THROTTLE_MS = 5;
/** While idle, every partition is announced this often (a gateway that just started learns it). */
const HEARTBEAT_MS = 1000;

/**
 * Announces the conversation projection's progress per partition on core NATS (ProjectionProgress):
 * `published`, the highest stream sequence whose live frame went out, and `floor`, the highest at or
 * below which every event of the partition is persisted and acknowledged, as the partition's consumer
 * computes it from what it handed out and finished. Gateways clamp cursors to the floor and hold a new
 * device's first sync until the floor passes what was published before it registered.
 *
 * Announced a few milliseconds after a change (one timer per window, never one per event), and every
 * partition about once a second whatever happens.
 */
@Injectable()
export class ProgressPublisher implements OnModuleDestroy {
  private readonly published = new Map<number, number>();
  private readonly floors = new Map<number, () => number | undefined>();
  private readonly announced = new Map<number, string>();
  private soon?: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;

  constructor(private readonly nats: NatsClient) {}

  /** The partition's floor comes from its consumer. */
  track(partition: number, floorOf: () => number | undefined): void {
    this.floors.set(partition, floorOf);
    this.heartbeat ??= setInterval(() => this.announce(true), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** The partition went to another projector (its lease): this one no longer announces it. */
  untrack(partition: number): void {
    this.floors.delete(partition);
    this.announced.delete(partition);
  }

  /** A live frame of the partition at this stream sequence went out. */
  notePublished(partition: number, seq: number): void {
    if (seq > (this.published.get(partition) ?? 0)) this.published.set(partition, seq);
    this.changed();
  }

  /** Something moved (a frame went out, an event was finished): announce soon. */
  changed(): void {
    if (this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      this.announce(false);
    }, THROTTLE_MS);
  }

  private announce(all: boolean): void {
    const subject = projectionProgressSubject(this.nats.topology);
    for (const [partition, floorOf] of this.floors) {
      const floor = floorOf();
      if (floor === undefined) continue; // not known yet (the consumer is starting)
      const progress: ProjectionProgress = {
        partition,
        published: Math.max(this.published.get(partition) ?? 0, floor),
        floor,
      };
      const text = JSON.stringify(progress);
      if (!all && this.announced.get(partition) === text) continue;
      this.announced.set(partition, text);
      this.nats.nc.publish(subject, text);
    }
  }

  onModuleDestroy(): void {
    clearTimeout(this.soon);
    clearInterval(this.heartbeat);
  }
}
