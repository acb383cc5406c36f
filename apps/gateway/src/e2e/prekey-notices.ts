import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import { prekeysLowSubject, SUBJECT_TOKEN } from '#libs/events';
import { NatsClient, subscribeNotices } from '#libs/nats';
import type { PreKeyCounts } from '#libs/protocol';
import { LiveSessions } from '../ws/live-sessions.js';

interface PrekeysLow extends PreKeyCounts {
  readonly userId: string;
  readonly deviceId: string;
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function parse(v: unknown): PrekeysLow | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const ok =
    typeof o.userId === 'string' &&
    SUBJECT_TOKEN.test(o.userId) &&
    typeof o.deviceId === 'string' &&
    SUBJECT_TOKEN.test(o.deviceId) &&
    isCount(o.ec) &&
    isCount(o.kyber) &&
    isCount(o.threshold);
  return ok ? (o as unknown as PrekeysLow) : undefined;
}

/**
 * Tells a device, wherever its socket is, that its one-time prekeys run low (`prekeys.low`), so it
 * uploads more. Core NATS to every gateway, at most once: a device that misses it sees the counts on
 * `GET /v1/keys/count`, and the last-resort Kyber key keeps sessions possible meanwhile.
 */
@Injectable()
export class PrekeyNotices implements OnModuleInit, OnModuleDestroy {
  private sub?: Subscription;

  constructor(
    private readonly nats: NatsClient,
    private readonly sessions: LiveSessions,
  ) {}

  onModuleInit(): void {
    this.sub = subscribeNotices(this.nats.nc, prekeysLowSubject(this.nats.topology), parse, (n) => {
      const { userId, deviceId, ...counts } = n;
      for (const c of this.sessions.ofDevice(userId, deviceId)) c.send({ type: 'prekeys.low', data: counts });
    });
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }

  publish(userId: string, deviceId: string, counts: PreKeyCounts): void {
    const notice: PrekeysLow = { userId, deviceId, ...counts };
    this.nats.nc.publish(prekeysLowSubject(this.nats.topology), JSON.stringify(notice));
  }
}
