import {
  type DynamicModule,
  Global,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Redis } from 'ioredis';
import type { RedisConfig } from '#libs/config';
import { LOGGER, type HealthIndicator } from '#libs/platform';
import type { Logger } from 'pino';

export const REDIS = Symbol('REDIS');

/** A Redis client whose keys all carry the configured prefix (tests and tenants share one server). */
export function createRedis(
  config: Readonly<RedisConfig>,
  connectionName: string,
  onError: (err: Error) => void = () => undefined,
): Redis {
  const redis = new Redis(config.REDIS_URL, {
    connectionName,
    keyPrefix: config.REDIS_KEY_PREFIX ? `${config.REDIS_KEY_PREFIX}:` : '',
    maxRetriesPerRequest: 2,
    // Fail fast while Redis is down instead of queueing commands without bound; /readyz shows it.
    enableOfflineQueue: false,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    lazyConnect: false,
  });
  // ioredis reconnects by itself; without a listener every failed attempt would be an unhandled error.
  redis.on('error', onError);
  return redis;
}

/** How long the app waits at start for Redis before it goes on (and /readyz says Redis is down). */
const CONNECT_WAIT_MS = 10_000;

/**
 * Resolves once the client is ready, or after `ms`: with the offline queue off, a command sent while the
 * connection is still opening fails at once, and modules send some at start (the worker-id lease).
 */
function connected(redis: Redis, ms: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

@Injectable()
export class RedisHealthIndicator implements HealthIndicator {
  readonly name = 'redis';
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async check(): Promise<void> {
    const answer = await this.redis.ping();
    if (answer !== 'PONG') throw new Error(`unexpected PING answer ${answer}`);
  }
}

@Global()
@Module({})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  static forRoot(config: Readonly<RedisConfig>, connectionName: string): DynamicModule {
    return {
      module: RedisModule,
      providers: [
        {
          provide: REDIS,
          inject: [LOGGER],
          useFactory: async (logger: Logger) => {
            let lastLog = 0;
            const redis = createRedis(config, connectionName, (err) => {
              // One line per 10 s while Redis is down, not one per reconnect attempt.
              if (Date.now() - lastLog < 10_000) return;
              lastLog = Date.now();
              logger.warn({ err: err.message }, 'redis connection error; reconnecting');
            });
            await connected(redis, CONNECT_WAIT_MS);
            return redis;
          },
        },
        RedisHealthIndicator,
      ],
      exports: [REDIS, RedisHealthIndicator],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
