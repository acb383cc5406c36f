import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { REDIS } from '#libs/redis';
import { ApiError } from '../http/api-error.js';
import type { AuthConfig } from '../gateway.config.js';
import { AUTH_CONFIG, CODE_SENDER } from '../tokens.js';
import type { CodeSender } from './code-sender.js';

const digest = (code: string): Buffer => createHash('sha256').update(code).digest();

/** One-time phone verification codes: expire, limited guesses, limited sends per hour. */
@Injectable()
export class VerificationCodeService {
  constructor(
    @Inject(AUTH_CONFIG) private readonly config: Readonly<AuthConfig>,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(CODE_SENDER) private readonly sender: CodeSender,
  ) {}

  async request(phone: string): Promise<{ expiresInSeconds: number }> {
    const sends = await this.redis
      .multi()
      .incr(`vcsend:${phone}`)
      .expire(`vcsend:${phone}`, 3600, 'NX')
      .exec();
    const count = Number(sends?.[0]?.[1] ?? 0);
    const max = this.config.CODE_REQUESTS_PER_PHONE_PER_HOUR;
    if (count > max) {
      const ttl = await this.redis.ttl(`vcsend:${phone}`);
      throw new ApiError('RATE_LIMITED', `at most ${max} codes per hour for a phone number`, {
        retryAfterSeconds: Math.max(ttl, 1),
      });
    }
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const ttl = this.config.VERIFICATION_CODE_TTL_SECONDS;
    await this.redis
      .multi()
      .set(`vc:${phone}`, digest(code).toString('base64'), 'EX', ttl)
      .del(`vcatt:${phone}`)
      .exec();
    try {
      await this.sender.send(phone, code);
    } catch (err) {
      // Nobody got this code: it must not stay valid (the attempt still counts against the limits).
      await this.redis.del(`vc:${phone}`);
      throw err;
    }
    return { expiresInSeconds: ttl };
  }

  /** Consumes the code when it matches; each wrong guess uses up an attempt. */
  async verify(phone: string, code: string): Promise<void> {
    const stored = await this.redis.get(`vc:${phone}`);
    if (!stored)
      throw new ApiError('CODE_INVALID', 'no valid code for this number: request a new one', {
        attemptsLeft: 0,
      });
    const attempts = await this.redis.incr(`vcatt:${phone}`);
    await this.redis.expire(`vcatt:${phone}`, this.config.VERIFICATION_CODE_TTL_SECONDS);
    const left = this.config.VERIFICATION_MAX_ATTEMPTS - attempts;
    const matches = timingSafeEqual(Buffer.from(stored, 'base64'), digest(code));
    if (matches && left >= 0) {
      await this.redis.del(`vc:${phone}`, `vcatt:${phone}`);
      return;
    }
    if (left <= 0) await this.redis.del(`vc:${phone}`);
    throw new ApiError('CODE_INVALID', left > 0 ? 'wrong code' : 'too many wrong codes: request a new one', {
      attemptsLeft: Math.max(left, 0),
    });
  }
}
