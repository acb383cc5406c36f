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

/**
 * Writes one inbox entry per recipient device, then tells the gateways holding those devices. The
 * entry id is the event's log position, so a replay writes the very same rows.
 */
@Injectable()
export class FanOut {
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
    await this.usersBarrier.caughtUp();
    const targets = await Promise.all(
      recipients.map(async (r) => ({
        userId: r.userId,
        deviceIds: (await this.devices.list(r.userId))
          .map((d) => d.deviceId)
          .filter((d) => d !== r.exceptDeviceId),
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
}
