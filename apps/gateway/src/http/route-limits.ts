import { Inject, Injectable } from '@nestjs/common';
import type { LimitsConfig } from '../gateway.config.js';
import { LIMITS_CONFIG } from '../tokens.js';
import { perHour, SharedRateLimiter, type Budget, type Charge } from '../ws/rate-limiter.js';
import { ApiError } from './api-error.js';

/**
 * The source address a limit is kept for: an IPv4 address, or the /64 of an IPv6 one (a host gets a
 * whole /64, so counting single addresses would give it 2^64 budgets).
 */
export function addressKey(ip: string | undefined): string {
  const a = (ip ?? 'unknown').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  if (!a.includes(':')) return a;
  const [head = '', tail = ''] = a.split('::');
  const groups = [...head.split(':').filter(Boolean)];
  const fill = 8 - groups.length - tail.split(':').filter(Boolean).length;
  if (a.includes('::')) groups.push(...Array<string>(Math.max(fill, 0)).fill('0'));
  groups.push(...tail.split(':').filter(Boolean));
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/**
 * Limits of the HTTP routes that cost the service or leak something: verification codes (SMS), phone
 * lookups (account enumeration), media slots, link codes, refreshes. Token buckets shared by every
 * gateway (SharedRateLimiter); a refusal is RATE_LIMITED (429) with Retry-After in seconds.
 */
@Injectable()
export class RouteLimits {
  constructor(
    private readonly limiter: SharedRateLimiter,
    @Inject(LIMITS_CONFIG) private readonly limits: Readonly<LimitsConfig>,
  ) {}

  codeRequest(ip: string | undefined): Promise<void> {
    const a = addressKey(ip);
    return this.enforce([
      {
        budget: perHour(
          `rl:code:ip:${a}`,
          this.limits.CODE_REQUESTS_PER_ADDRESS_PER_HOUR,
          'code requests from this address',
        ),
        cost: 1,
      },
    ]);
  }

  /** Each number looked up counts: enumeration is about numbers, not requests. */
  lookup(userId: string, ip: string | undefined, phones: number): Promise<void> {
    const daily: Budget = {
      key: `rl:lookup:day:${userId}`,
      ratePerSecond: this.limits.LOOKUP_PHONES_PER_DAY / 86_400,
      burst: this.limits.LOOKUP_PHONES_PER_DAY,
      what: 'phone lookups of this account per day',
    };
    return this.enforce([
      {
        budget: perHour(
          `rl:lookup:acct:${userId}`,
          this.limits.LOOKUP_PHONES_PER_HOUR,
          'phone lookups of this account per hour',
        ),
        cost: phones,
      },
      { budget: daily, cost: phones },
      {
        budget: perHour(
          `rl:lookup:ip:${addressKey(ip)}`,
          this.limits.LOOKUP_PHONES_PER_ADDRESS_PER_HOUR,
          'phone lookups from this address per hour',
        ),
        cost: phones,
      },
    ]);
  }

  mediaSlot(userId: string): Promise<void> {
    return this.enforce([
      {
        budget: perHour(
          `rl:media:${userId}`,
          this.limits.MEDIA_SLOTS_PER_HOUR,
          'media slots of this account per hour',
        ),
        cost: 1,
      },
    ]);
  }

  linkCode(userId: string): Promise<void> {
    return this.enforce([
      {
        budget: perHour(
          `rl:link:${userId}`,
          this.limits.LINK_CODES_PER_HOUR,
          'link codes of this account per hour',
        ),
        cost: 1,
      },
    ]);
  }

  refresh(ip: string | undefined): Promise<void> {
    return this.enforce([
      {
        budget: perHour(
          `rl:refresh:ip:${addressKey(ip)}`,
          this.limits.REFRESHES_PER_ADDRESS_PER_HOUR,
          'token refreshes from this address per hour',
        ),
        cost: 1,
      },
    ]);
  }

  private async enforce(charges: readonly Charge[]): Promise<void> {
    const refused = await this.limiter.take(charges);
    if (refused)
      throw new ApiError('RATE_LIMITED', `over the limit of ${refused.budget.what}`, {
        retryAfterSeconds: Math.max(1, Math.ceil(refused.waitMs / 1000)),
      });
  }
}
