import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import { ackedWildcard, projectionProgressSubject } from '#libs/events';
import { NatsClient, parseAckedNotice, parseProjectionProgress, subscribeNotices } from '#libs/nats';
import { PushDirectory } from '../directory/push-directory.js';
import { RecentAcks } from './recent-acks.js';

/**
 * Listens to the core-NATS delivery notices (never stored, at most once): which entries devices
 * acknowledged, and how far the conversation projection has persisted each partition. Both only let the
 * notifier skip work: a lost notice falls back to asking Redis (connected?) and Cassandra (applied? still
 * in the inbox?), never to a wrong push.
 */
@Injectable()
export class DeliveryNoticesListener implements OnModuleDestroy {
  private readonly floors = new Map<number, number>();
  private readonly subscriptions: Subscription[] = [];

  constructor(
    private readonly nats: NatsClient,
    private readonly directory: PushDirectory,
    private readonly acks: RecentAcks,
  ) {}

  start(): void {
    const { nc, topology } = this.nats;
    this.subscriptions.push(
      subscribeNotices(nc, ackedWildcard(topology), parseAckedNotice, (notice) => {
        // Only devices that could get a push are remembered.
        for (const e of notice.entries)
          if (this.directory.hasTokens(e.userId)) this.acks.record(e.deviceId, e.entryId);
      }),
      subscribeNotices(nc, projectionProgressSubject(topology), parseProjectionProgress, (p) =>
        this.floors.set(p.partition, Math.max(p.floor, this.floors.get(p.partition) ?? 0)),
      ),
    );
  }

  acknowledged(deviceId: string, entryId: string): boolean {
    return this.acks.has(deviceId, entryId);
  }

  /** True once the projector has published its progress for the partition. */
  heardFrom(partition: number): boolean {
    return this.floors.has(partition);
  }

  /** True when the projector said it has persisted the partition up to `seq` (false: not heard). */
  persisted(partition: number, seq: number): boolean {
    return (this.floors.get(partition) ?? 0) >= seq;
  }

  onModuleDestroy(): void {
    for (const s of this.subscriptions) s.unsubscribe();
  }
}
