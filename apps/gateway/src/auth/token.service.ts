import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { REDIS, userRedisKeys } from '#libs/redis';
import { ApiError } from '../http/api-error.js';
import type { AuthConfig } from '../gateway.config.js';
import { AUTH_CONFIG } from '../tokens.js';

export interface DeviceIdentity {
  readonly userId: string;
  readonly deviceId: string;
}

export interface TokenPair extends DeviceIdentity {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly accessExpiresIn: number;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('base64url');

/**
 * Short-lived access JWTs bound to a user and a device, and opaque refresh tokens that rotate: each
 * refresh token works once; presenting a used one again revokes every token of that device.
 */
@Injectable()
export class TokenService {
  private readonly key: Uint8Array;

  constructor(
    @Inject(AUTH_CONFIG) private readonly config: Readonly<AuthConfig>,
    @Inject(REDIS) private readonly redis: Redis,
  ) {
    this.key = new TextEncoder().encode(config.JWT_SECRET);
  }

  async issue(id: DeviceIdentity): Promise<TokenPair> {
    const accessToken = await new SignJWT({ did: id.deviceId })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(id.userId)
      .setIssuedAt()
      .setExpirationTime(`${this.config.ACCESS_TOKEN_TTL_SECONDS}s`)
      .sign(this.key);
    const refreshToken = randomBytes(32).toString('base64url');
    const hash = sha256(refreshToken);
    const ttl = this.config.REFRESH_TOKEN_TTL_SECONDS;
    await this.redis
      .multi()
      .set(`rt:${hash}`, JSON.stringify(id), 'EX', ttl)
      .sadd(`rtdev:${id.userId}:${id.deviceId}`, hash)
      .expire(`rtdev:${id.userId}:${id.deviceId}`, ttl)
      .exec();
    return { ...id, accessToken, refreshToken, accessExpiresIn: this.config.ACCESS_TOKEN_TTL_SECONDS };
  }

  /** Checks signature, expiry and that the device was not removed. */
  async verifyAccess(token: string): Promise<DeviceIdentity> {
    let userId: string | undefined;
    let deviceId: unknown;
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'] });
      userId = payload.sub;
      deviceId = payload.did;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired)
        throw new ApiError('TOKEN_EXPIRED', 'the access token expired; refresh it');
      throw new ApiError('UNAUTHENTICATED', 'the access token is not valid');
    }
    if (typeof userId !== 'string' || typeof deviceId !== 'string')
      throw new ApiError('UNAUTHENTICATED', 'the access token is not valid');
    if (await this.redis.exists(userRedisKeys.forgotten(userId)))
      throw new ApiError('USER_FORGOTTEN', 'this account was forgotten');
    if (await this.redis.exists(`revoked:${userId}:${deviceId}`))
      throw new ApiError('DEVICE_REVOKED', 'this device was removed');
    return { userId, deviceId };
  }

  async refresh(refreshToken: string): Promise<TokenPair> {
    const hash = sha256(refreshToken);
    const current = await this.redis.getdel(`rt:${hash}`);
    if (current) {
      const id = JSON.parse(current) as DeviceIdentity;
      await this.redis.set(`rtused:${hash}`, current, 'EX', this.config.REFRESH_TOKEN_TTL_SECONDS);
      await this.redis.srem(`rtdev:${id.userId}:${id.deviceId}`, hash);
      return this.issue(id);
    }
    const used = await this.redis.get(`rtused:${hash}`);
    if (used) {
      // A refresh token used twice was copied: end every session of that device.
      const id = JSON.parse(used) as DeviceIdentity;
      await this.revokeRefreshTokens(id);
    }
    throw new ApiError('UNAUTHENTICATED', 'the refresh token is not valid or was already used');
  }

  async revokeRefreshTokens(id: DeviceIdentity): Promise<void> {
    const hashes = await this.redis.smembers(`rtdev:${id.userId}:${id.deviceId}`);
    if (hashes.length > 0) await this.redis.del(...hashes.map((h) => `rt:${h}`));
    await this.redis.del(`rtdev:${id.userId}:${id.deviceId}`);
  }

  /** A removed device: refresh tokens gone, and access tokens refused until they would have expired. */
  async revokeDevice(id: DeviceIdentity): Promise<void> {
    await this.revokeRefreshTokens(id);
    await this.redis.set(
      `revoked:${id.userId}:${id.deviceId}`,
      '1',
      'EX',
      this.config.ACCESS_TOKEN_TTL_SECONDS + 60,
    );
  }
}
