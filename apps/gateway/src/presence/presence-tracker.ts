import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ProcessConfig } from '#libs/config';
import { LOGGER, MetricsService, PROCESS_CONFIG } from '#libs/platform';
import { REDIS } from '#libs/redis';
import type { PresenceConfig } from '../gateway.config.js';
import { PRESENCE_CONFIG } from '../tokens.js';
import { PresenceRegistry, type DeviceActivity } from './presence-registry.js';
import { PresenceTransitions } from './presence-transitions.js';

/**
 * Collects device activity (connects, heartbeats, any frame) in memory and writes it to Redis once per
 * flush interval in one script call, so Redis work grows with devices, not with frames. A sweep on every
 * gateway takes devices past their deadline offline, also those of a gateway that crashed; Redis decides
 * each transition atomically, so exactly one gateway reports it.
 */
@Injectable()
export class PresenceTracker implements OnApplicationBootstrap, OnModuleDestroy {
  readonly registry: PresenceRegistry;
  private pending = new Map<string, DeviceActivity>();
  private flushTimer?: NodeJS.Timeout;
  private sweepTimer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private sweeping?: Promise<void>;
  private readonly heartbeats;
  private readonly flushes;

  constructor(
    @Inject(REDIS) redis: Redis,
    @Inject(PRESENCE_CONFIG) private readonly config: Readonly<PresenceConfig>,
    @Inject(PROCESS_CONFIG) processConfig: Readonly<ProcessConfig>,
    private readonly transitions: PresenceTransitions,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: MetricsService,
  ) {
    this.registry = new PresenceRegistry(
      redis,
      processConfig.INSTANCE_ID,
      config.PRESENCE_ONLINE_THRESHOLD_MS,
      config.PRESENCE_REGISTRY_TTL_MS,
    );
    this.heartbeats = metrics.counter(
      'chat_gateway_presence_activity_total',
      'Device activity recorded (heartbeats and other frames)',
    );
    this.flushes = metrics.histogram(
      'chat_gateway_presence_flush_devices',
      'Devices written to Redis per presence flush',
      [],
      [1, 10, 100, 1000, 5000, 10_000, 50_000],
    );
  }

  onApplicationBootstrap(): void {
    this.flushTimer = setInterval(() => void this.flush(), this.config.PRESENCE_FLUSH_INTERVAL_MS);
    this.sweepTimer = setInterval(() => void this.sweep(), this.config.PRESENCE_SWEEP_INTERVAL_MS);
  }

  /** The device was active now (cheap: a map write; Redis sees it at the next flush). */
  touch(userId: string, deviceId: string, at = Date.now()): void {
    this.heartbeats.inc();
    this.pending.set(`${userId}/${deviceId}`, { userId, deviceId, at });
  }

  /** The device's socket closed: it goes offline at the next sweep unless it is active elsewhere. */
  async leave(userId: string, deviceId: string): Promise<void> {
    this.pending.delete(`${userId}/${deviceId}`);
    try {
      await this.flushing;
      await this.registry.leave(userId, deviceId, Date.now());
    } catch (err) {
      // Redis down: the device's deadline takes it offline instead.
      this.logger.warn({ err: (err as Error).message, userId, deviceId }, 'presence leave not recorded');
    }
  }

  async flush(): Promise<void> {
    if (this.flushing || this.pending.size === 0) return this.flushing;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.flushing = (async () => {
      try {
        this.flushes.observe(batch.length);
        const came = await this.registry.touch(batch);
        await Promise.all(came.map((c) => this.transitions.cameOnline(c)));
      } catch (err) {
        // Put it back unless newer activity arrived meanwhile; the next flush retries.
        for (const a of batch) {
          const key = `${a.userId}/${a.deviceId}`;
          if (!this.pending.has(key)) this.pending.set(key, a);
        }
        this.logger.warn({ err: (err as Error).message, devices: batch.length }, 'presence flush failed');
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }

  async sweep(): Promise<void> {
    if (this.sweeping) return this.sweeping;
    this.sweeping = (async () => {
      try {
        const gone = await this.registry.sweep(Date.now());
        await Promise.all(gone.map((g) => this.transitions.wentOffline(g)));
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'presence sweep failed');
      } finally {
        this.sweeping = undefined;
      }
    })();
    return this.sweeping;
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.flushTimer);
    clearInterval(this.sweepTimer);
    await this.flush();
  }
}
