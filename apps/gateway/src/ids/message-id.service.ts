import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { MAX_WORKER_ID, SnowflakeGenerator } from '#libs/domain';
import { CLOCK, LOGGER, PROCESS_CONFIG, type Clock } from '#libs/platform';
import type { ProcessConfig } from '#libs/config';
import { REDIS } from '#libs/redis';
import { ApiError } from '../http/api-error.js';

const LEASE_MS = 30_000;
const RENEW_MS = 10_000;
// Renew only if we still hold the lease.
const RENEW_SCRIPT =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
const RELEASE_SCRIPT =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/**
 * Mints snowflake message ids under a worker id leased in Redis, so no two processes share one. If
 * the lease cannot be renewed before it runs out, minting stops (UNAVAILABLE) rather than risk a
 * duplicate id.
 */
@Injectable()
export class MessageIdService implements OnModuleInit, OnApplicationShutdown {
  private generator?: SnowflakeGenerator;
  private key = '';
  private readonly owner: string;
  private validUntil = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(PROCESS_CONFIG) process: Readonly<ProcessConfig>,
  ) {
    this.owner = `${process.INSTANCE_ID}:${globalThis.process.pid}:${Math.random().toString(36).slice(2)}`;
  }

  async onModuleInit(): Promise<void> {
    await this.lease();
    this.timer = setInterval(() => void this.renew(), RENEW_MS);
    this.timer.unref();
  }

  /** Takes a free worker id (from a random start, so processes starting together spread out). */
  private async lease(): Promise<void> {
    const start = Math.floor(Math.random() * (MAX_WORKER_ID + 1));
    for (let i = 0; i <= MAX_WORKER_ID; i++) {
      const id = (start + i) % (MAX_WORKER_ID + 1);
      const key = `worker-id:${id}`;
      if ((await this.redis.set(key, this.owner, 'PX', LEASE_MS, 'NX')) === 'OK') {
        this.key = key;
        this.validUntil = Date.now() + LEASE_MS;
        // A new worker id starts its own sequence: ids minted under it cannot meet the earlier ones.
        this.generator = new SnowflakeGenerator(id, () => this.clock.now().getTime());
        this.logger.info({ workerId: id }, 'snowflake worker id leased');
        return;
      }
    }
    throw new Error('no free snowflake worker id (all 1024 are leased)');
  }

  private async renew(): Promise<void> {
    try {
      const ok = await this.redis.eval(RENEW_SCRIPT, 1, this.key, this.owner, String(LEASE_MS));
      if (ok === 1) {
        this.validUntil = Date.now() + LEASE_MS;
        return;
      }
      // The key is gone (Redis restarted empty) or another holds it: minting stops until a worker id is
      // leased again. Taking the same id back is safe only if nobody took it meanwhile (NX says so).
      this.validUntil = 0;
      if ((await this.redis.set(this.key, this.owner, 'PX', LEASE_MS, 'NX')) === 'OK') {
        this.validUntil = Date.now() + LEASE_MS;
        this.logger.warn({ key: this.key }, 'worker id lease lost (Redis emptied?); taken back');
        return;
      }
      this.logger.error({ key: this.key }, 'worker id lease taken by another process; leasing a new one');
      await this.lease();
    } catch (err) {
      this.logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'worker id lease renewal failed',
      );
    }
  }

  next(): string {
    if (!this.generator || Date.now() >= this.validUntil)
      throw new ApiError('UNAVAILABLE', 'message ids are unavailable; retry shortly');
    return this.generator.nextString();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.redis.eval(RELEASE_SCRIPT, 1, this.key, this.owner).catch(() => undefined);
  }
}
