import { IsOptional, Matches } from 'class-validator';

export class RedisConfig {
  @Matches(/^rediss?:\/\/\S+$/, { message: 'a redis:// URL, e.g. redis://127.0.0.1:6379' })
  REDIS_URL!: string;

  /** Prefixes every key, so tests and tenants can share one Redis. */
  @IsOptional()
  @Matches(/^[a-z][a-z0-9_]{0,30}$/, { message: 'a lowercase token (letters, digits, _), or empty for none' })
  REDIS_KEY_PREFIX?: string;
}
