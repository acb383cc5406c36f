import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import { sessionControlSubject, SUBJECT_TOKEN } from '#libs/events';
import { NatsClient, subscribeNotices } from '#libs/nats';
import { CLOSE_CODES } from '#libs/protocol';
import { LiveSessions } from './live-sessions.js';

/** What every gateway is told to do with the sockets of one device. */
export type SessionOrder =
  /** The device's session was ended (a refresh token was used twice): close all its sockets, 4401. */
  | { readonly kind: 'end'; readonly userId: string; readonly deviceId: string }
  /** Newer sockets of the device took these ones' places: close them, 4409. */
  | {
      readonly kind: 'evict';
      readonly userId: string;
      readonly deviceId: string;
      readonly connectionIds: readonly string[];
    };

function isOrder(v: unknown): v is SessionOrder {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  if (typeof o.userId !== 'string' || typeof o.deviceId !== 'string') return false;
  if (o.kind === 'end') return true;
  return o.kind === 'evict' && Array.isArray(o.connectionIds);
}

/**
 * Closes a device's sockets on every gateway at once: one core NATS subject that all gateways
 * subscribe to (orders are rare: a socket beyond the device's cap, a stolen refresh token). At most
 * once, like all core NATS: a gateway that misses an 'end' still refuses the device's tokens on its next
 * check, and a missed 'evict' leaves one socket over the cap until it closes.
 */
@Injectable()
export class SessionControl implements OnModuleInit, OnModuleDestroy {
  private sub?: Subscription;

  constructor(
    private readonly nats: NatsClient,
    private readonly sessions: LiveSessions,
  ) {}

  onModuleInit(): void {
    this.sub = subscribeNotices(
      this.nats.nc,
      sessionControlSubject(this.nats.topology),
      (v) => (isOrder(v) ? v : undefined),
      (order) => this.apply(order),
    );
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }

  /** Publishes an order to every gateway (this one included) and waits until the server has it. */
  async publish(order: SessionOrder): Promise<void> {
    this.nats.nc.publish(sessionControlSubject(this.nats.topology), JSON.stringify(order));
    await this.nats.nc.flush();
  }

  private apply(order: SessionOrder): void {
    if (!SUBJECT_TOKEN.test(order.userId)) return;
    for (const conn of this.sessions.ofDevice(order.userId, order.deviceId)) {
      if (order.kind === 'end') conn.socket.close(CLOSE_CODES.unauthenticated, 'SESSION_ENDED');
      else if (order.connectionIds.includes(conn.connectionId))
        conn.socket.close(CLOSE_CODES.replaced, 'SESSION_REPLACED');
    }
  }
}
