import { Injectable } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import { CLOSE_CODES, type InboxMessage, type ServerFrame } from '#libs/protocol';
import { LiveDeliveryBus, type LiveDelivery } from '#libs/nats';
import { MetricsService } from '#libs/platform';
import type { DeviceConnection, SentEntry } from './device-connection.js';

/** The inbox-entry frame of a live delivery, and what to remember of it. */
export function entryFrame(d: Exclude<LiveDelivery, { kind: 'revoke' }>): {
  frame: ServerFrame;
  entry: SentEntry;
} {
  if (d.kind === 'message') {
    return {
      frame: { type: 'message', data: { ...d.data, entryId: d.entryId } },
      entry: messageEntry(d.data),
    };
  }
  return {
    frame: { type: 'receipt', data: { ...d.data, entryId: d.entryId } },
    entry: { kind: 'receipt', conversationId: d.data.conversationId },
  };
}

/** A system message is not acknowledged as delivered: it has no sender waiting for ticks. */
function messageEntry(m: Omit<InboxMessage, 'entryId'>): SentEntry {
  return m.system
    ? { kind: 'message', conversationId: m.conversationId }
    : {
        kind: 'message',
        conversationId: m.conversationId,
        messageId: m.messageId,
        senderUserId: m.senderUserId,
      };
}

export function describeFrame(frame: ServerFrame): SentEntry {
  if (frame.type === 'message') return messageEntry(frame.data);
  if (frame.type === 'receipt') return { kind: 'receipt', conversationId: frame.data.conversationId };
  throw new Error(`not an entry frame: ${frame.type}`);
}

/**
 * The devices connected to this gateway, with one live-subject subscription per user however many of
 * their devices are here.
 */
@Injectable()
export class LiveSessions {
  private readonly users = new Map<string, { sub: Subscription; connections: Set<DeviceConnection> }>();
  private readonly gauge;

  constructor(
    private readonly bus: LiveDeliveryBus,
    metrics: MetricsService,
  ) {
    this.gauge = metrics.gauge(
      'chat_gateway_connections',
      'Authenticated device connections on this gateway',
    );
  }

  /** Registers a connection; resolves once the server has the subscription, so a following read misses nothing. */
  async add(conn: DeviceConnection): Promise<void> {
    let user = this.users.get(conn.userId);
    if (!user) {
      const sub = this.bus.subscribe(conn.userId, (d) => this.route(conn.userId, d));
      user = { sub, connections: new Set() };
      this.users.set(conn.userId, user);
    }
    user.connections.add(conn);
    this.gauge.inc();
    await this.bus.flush();
  }

  remove(conn: DeviceConnection): void {
    const user = this.users.get(conn.userId);
    if (!user?.connections.delete(conn)) return;
    this.gauge.dec();
    if (user.connections.size === 0) {
      user.sub.unsubscribe();
      this.users.delete(conn.userId);
    }
  }

  /** The sockets of one device on this gateway. */
  ofDevice(userId: string, deviceId: string): DeviceConnection[] {
    return [...(this.users.get(userId)?.connections ?? [])].filter((c) => c.deviceId === deviceId);
  }

  all(): DeviceConnection[] {
    return [...this.users.values()].flatMap((u) => [...u.connections]);
  }

  private route(userId: string, d: LiveDelivery): void {
    const targets = [...(this.users.get(userId)?.connections ?? [])].filter((c) =>
      d.deviceIds.includes(c.deviceId),
    );
    if (d.kind === 'revoke') {
      for (const c of targets) c.socket.close(CLOSE_CODES.revoked, 'DEVICE_REVOKED');
      return;
    }
    const { frame, entry } = entryFrame(d);
    for (const c of targets) c.pushEntry(d.entryId, frame, entry);
  }
}
