import { Injectable } from '@nestjs/common';
import type { InboxMessage, Receipt } from '#libs/protocol';
import { DeviceStore, entryId, InboxStore, type InboxEntry, type LogPosition } from '#libs/read-models';
import { LiveDeliveryBus } from '#libs/nats';
import { UsersBarrier } from './users-barrier.js';

export interface Recipient {
  readonly userId: string;
  /** A device that must not get the entry (the one that sent the message). */
  readonly exceptDeviceId?: string;
}

type Payload =
  | { kind: 'message'; data: Omit<InboxMessage, 'entryId'> }
  | { kind: 'receipt'; data: Omit<Receipt, 'entryId'> };

const DEVICE_CACHE_LIMIT = 100_000;

/**
 * Writes one inbox entry per recipient device, then tells the gateways holding those devices. The
 * entry id is the event's log position, so a replay writes the very same rows.
 */
@Injectable()
export class FanOut {
  /**
   * Device lists read while the USERS stream ended at `cachedAt`: devices change only through USERS
   * events, so while its last sequence stays the same the lists stay exact; any new USERS event clears
   * them. A large group's message thus reads its members' devices once, not per message.
   */
  private readonly deviceCache = new Map<string, readonly string[]>();
  private cachedAt: number | undefined;

  constructor(
    private readonly devices: DeviceStore,
    private readonly inbox: InboxStore,
    private readonly live: LiveDeliveryBus,
    private readonly usersBarrier: UsersBarrier,
  ) {}

  async deliver(
    position: LogPosition,
    conversationId: string,
    recipients: readonly Recipient[],
    payload: Payload,
    ttlSeconds?: number,
  ): Promise<number> {
    const usersSeq = await this.usersBarrier.caughtUp();
    if (usersSeq !== this.cachedAt) {
      this.deviceCache.clear();
      this.cachedAt = usersSeq;
    }
    const targets = await Promise.all(
      recipients.map(async (r) => ({
        userId: r.userId,
        deviceIds: (await this.deviceIdsOf(r.userId)).filter((d) => d !== r.exceptDeviceId),
      })),
    );
    const entries: InboxEntry[] = targets.flatMap((t) =>
      t.deviceIds.map((deviceId) => ({
        ...position,
        userId: t.userId,
        deviceId,
        kind: payload.kind,
        conversationId,
        payload: JSON.stringify(payload.data),
      })),
    );
    await this.inbox.add(entries, ttlSeconds);
    const id = entryId(position);
    for (const t of targets) {
      if (t.deviceIds.length === 0) continue;
      if (payload.kind === 'message')
        this.live.publish(t.userId, {
          kind: 'message',
          deviceIds: t.deviceIds,
          entryId: id,
          data: payload.data,
        });
      else
        this.live.publish(t.userId, {
          kind: 'receipt',
          deviceIds: t.deviceIds,
          entryId: id,
          data: payload.data,
        });
    }
    return entries.length;
  }

  private async deviceIdsOf(userId: string): Promise<readonly string[]> {
    const hit = this.deviceCache.get(userId);
    if (hit) return hit;
    const seq = this.cachedAt;
    const ids = (await this.devices.list(userId)).map((d) => d.deviceId);
    // Unknown USERS position (the users projection lags), or it moved during the read: do not keep it.
    if (seq === undefined || seq !== this.cachedAt) return ids;
    if (this.deviceCache.size >= DEVICE_CACHE_LIMIT) this.deviceCache.clear();
    this.deviceCache.set(userId, ids);
    return ids;
  }
}
