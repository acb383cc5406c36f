import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { SUBJECT_TOKEN } from '#libs/events';
import { REDIS, userRedisKeys } from '#libs/redis';
import { ApiError } from '../http/api-error.js';
import { SessionControl } from '../ws/session-control.js';
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

/** Set when a device's session was ended (refresh-token reuse): its access tokens are refused. */
const endedKey = (id: DeviceIdentity): string => `ended:${id.userId}:${id.deviceId}`;
const revokedKey = (id: DeviceIdentity): string => `revoked:${id.userId}:${id.deviceId}`;

/**
 * Short-lived access JWTs bound to a user and a device, and opaque refresh tokens that rotate: each
 * refresh token works once; presenting a used one again ends the device's session: every refresh and
 * access token of it is refused from then on, and its sockets close (4401) on every gateway.
 *
 * The access-token check costs one Redis round trip (MGET of the forgotten, removed and ended flags),
 * the same on HTTP and at a socket's handshake; open sockets are closed by a NATS broadcast
 * (SessionControl) instead of being re-checked per frame.
 */
@Injectable()
export class TokenService {
  private readonly key: Uint8Array;

  constructor(
    @Inject(AUTH_CONFIG) private readonly config: Readonly<AuthConfig>,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly control: SessionControl,
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
    // The ids end up in NATS subjects and Redis keys: a signed token with `a.b`, `*` or `>` must not.
    if (
      typeof userId !== 'string' ||
      typeof deviceId !== 'string' ||
      !SUBJECT_TOKEN.test(userId) ||
      !SUBJECT_TOKEN.test(deviceId)
    )
      throw new ApiError('UNAUTHENTICATED', 'the access token is not valid');
    const id = { userId, deviceId };
    const [forgotten, revoked, ended] = await this.redis.mget(
      userRedisKeys.forgotten(userId),
      revokedKey(id),
      endedKey(id),
    );
    if (forgotten !== null) throw new ApiError('USER_FORGOTTEN', 'this account was forgotten');
    if (revoked !== null) throw new ApiError('DEVICE_REVOKED', 'this device was removed');
    if (ended !== null)
      throw new ApiError('UNAUTHENTICATED', 'the session of this device ended; sign in again');
    return id;
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
      await this.endSession(JSON.parse(used) as DeviceIdentity);
    }
    throw new ApiError('UNAUTHENTICATED', 'the refresh token is not valid or was already used');
  }

  async revokeRefreshTokens(id: DeviceIdentity): Promise<void> {
    const hashes = await this.redis.smembers(`rtdev:${id.userId}:${id.deviceId}`);
    if (hashes.length > 0) await this.redis.del(...hashes.map((h) => `rt:${h}`));
    await this.redis.del(`rtdev:${id.userId}:${id.deviceId}`);
  }

  /**
   * Ends a device's session: no refresh token of it works, its access tokens are refused until they
   * would have expired (no new one can be issued: the refresh tokens are gone), and its open sockets
   * close on every gateway.
   */
  async endSession(id: DeviceIdentity): Promise<void> {
    await this.revokeRefreshTokens(id);
    await this.redis.set(endedKey(id), '1', 'EX', this.config.ACCESS_TOKEN_TTL_SECONDS + 60);
    await this.control.publish({ kind: 'end', userId: id.userId, deviceId: id.deviceId });
  }

  /** A removed device: refresh tokens gone, and access tokens refused until they would have expired. */
  async revokeDevice(id: DeviceIdentity): Promise<void> {
    await this.revokeRefreshTokens(id);
    await this.redis.set(revokedKey(id), '1', 'EX', this.config.ACCESS_TOKEN_TTL_SECONDS + 60);
  }
}
