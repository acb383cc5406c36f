import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { LiveDeliveryBus, type LiveEntryFrame, type LiveRecipient } from '#libs/nats';
import {
  ConversationFanOut,
  type FanOutPayload,
  type PublishedEntry,
  type Recipient,
} from '#libs/projections';
import { entryId, InboxStore, type InboxEntry, type LogPosition } from '#libs/read-models';
import type { ProjectorConfig } from '../projector.config.js';
import { PROJECTOR_SETTINGS } from '../tokens.js';
import { AckedEntries } from './acked-entries.js';
import { DeviceDirectory } from './device-directory.js';
import { ProgressPublisher } from './progress-publisher.js';
import { UsersBarrier } from './users-barrier.js';
import { bodiesOf, liveEntryOf, rowPayloadOf, targetsWithBodies } from './e2e-targets.js';
import { BoundedMap } from '#libs/platform';

/**
 * Delivers first, persists after: one core-NATS frame per entry listing its recipients' devices goes
 * to the gateways before anything is written; the inbox rows follow in the caller's wave, only for the
 * devices that have not acknowledged the entry by then. The entry id is the event's log position, so
 * a redelivery or a replay publishes and writes the very same entry.
 */
/** Entries this process published lately (a failed wave is retried within seconds). */
const PUBLISHED_MEMORY = 200_000;

@Injectable()
export class FanOut extends ConversationFanOut {
  /**
   * What this process has already published, under which connection epoch: a wave that fails is retried
   * here (alone, or its batch one event at a time) and must not send every recipient the entry again. A
   * redelivery to another process after a crash publishes again, as it must (the frame may never have
   * gone out), and so does one here after the connection to NATS dropped since the publish.
   */
  private readonly published = new BoundedMap<string, number>(PUBLISHED_MEMORY);

  constructor(
    private readonly devices: DeviceDirectory,
    private readonly inbox: InboxStore,
    private readonly live: LiveDeliveryBus,
    private readonly usersBarrier: UsersBarrier,
    private readonly progress: ProgressPublisher,
    private readonly acked: AckedEntries,
    @Inject(PROJECTOR_SETTINGS) private readonly settings: Readonly<ProjectorConfig>,
  ) {
    super();
    live.announceInterruptions(); // frames published into a dying connection: gateways resync their devices
  }

  /** A device added before the message was sent is among its recipients. */
  override async ready(): Promise<void> {
    await this.usersBarrier.caughtUp();
  }

  /** The test hook PROJECTOR_TEST_PERSIST_DELAY_MS holds every wave between publishing and writing. */
  override async beforeWrites(): Promise<void> {
    const delay = this.settings.PROJECTOR_TEST_PERSIST_DELAY_MS;
    if (delay > 0) await sleep(delay);
  }

  async publish(
    position: LogPosition,
    conversationId: string,
    recipients: readonly Recipient[],
    payload: FanOutPayload,
  ): Promise<PublishedEntry> {
    const bodies = payload.kind === 'message' ? payload.bodies : undefined;
    const all: LiveRecipient[] = (
      await Promise.all(
        recipients.map(async (r) => ({
          userId: r.userId,
          deviceIds: (await this.devices.of(r.userId)).filter((d) => d !== r.exceptDeviceId),
        })),
      )
    ).filter((t) => t.deviceIds.length > 0);
    const targets = targetsWithBodies(all, bodies);
    const id = entryId(position);
    // One user's entries at a position are one frame (a receipt to each sender is its own).
    const key = `${id}/${payload.kind}/${targets[0]?.userId ?? ''}/${targets.length}`;
    if (targets.length > 0 && this.published.get(key) !== this.live.epoch) {
      this.published.set(key, this.live.epoch);
      const frame: LiveEntryFrame = {
        kind: 'entry',
        partition: position.partition,
        seq: position.seq,
        entryId: id,
        recipients: targets,
        entry: liveEntryOf(payload),
        ...(bodies ? { bodies: bodiesOf(targets, bodies) } : {}),
      };
      this.live.publish(frame);
    }
    this.progress.notePublished(position.partition, position.seq);
    const publishedAt = Date.now();
    const json = JSON.stringify(payload.data);
    const entries: InboxEntry[] = targets.flatMap((t) =>
      t.deviceIds.map((deviceId) => ({
        ...position,
        userId: t.userId,
        deviceId,
        kind: payload.kind,
        conversationId,
        payload: rowPayloadOf(payload, t.userId, deviceId, json),
      })),
    );
    return {
      count: entries.length,
      persist: async (ttlSeconds?: number) => {
        await this.acked.settle(entries, id, publishedAt);
        const due = entries.filter((e) => !this.acked.has(e.userId, e.deviceId, id));
        if (due.length === 0) return;
        await this.acked.write(due, id, () => this.inbox.add(due, ttlSeconds));
      },
    };
  }
}
