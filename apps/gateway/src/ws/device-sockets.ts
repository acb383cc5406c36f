import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { REDIS } from '#libs/redis';
import type { LimitsConfig } from '../gateway.config.js';
import { LIMITS_CONFIG } from '../tokens.js';
import type { DeviceConnection } from './device-connection.js';
import { SessionControl } from './session-control.js';

/**
 * Adds a socket to its device's set (score: Redis time in microseconds, so every gateway orders them
 * alike) and removes and returns those beyond the newest ARGV[2]. ARGV: connection id, cap, ttl ms.
 */
const REGISTER = `
local now = redis.call('TIME')
redis.call('ZADD', KEYS[1], tonumber(now[1]) * 1000000 + tonumber(now[2]), ARGV[1])
local beyond = -(tonumber(ARGV[2]) + 1)
local old = redis.call('ZRANGE', KEYS[1], 0, beyond)
if #old > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, beyond) end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return old
`;

type RegisterCommand = (key: string, connectionId: string, cap: number, ttlMs: number) => Promise<string[]>;

/** A set that outlives a socket no gateway removed (a crashed gateway) by this much at most. */
const SET_TTL_MS = 7 * 86_400_000;

/**
 * The open sockets of each device over all gateways (a sorted set in Redis). A socket beyond
 * MAX_SOCKETS_PER_DEVICE closes the device's oldest: a reconnecting client replaces its half-dead
 * socket, and copies of one token cannot hold many sockets (and budgets' worth of pushes). An entry left
 * by a crashed gateway is simply the first to go.
 */
@Injectable()
export class DeviceSockets {
  private readonly register_: RegisterCommand;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(LIMITS_CONFIG) private readonly limits: Readonly<LimitsConfig>,
    private readonly control: SessionControl,
  ) {
    redis.defineCommand('chatRegisterSocket', { numberOfKeys: 1, lua: REGISTER });
    this.register_ = (redis as unknown as Record<string, RegisterCommand>).chatRegisterSocket!.bind(redis);
  }

  /** Registers the socket; the device's oldest sockets beyond the cap are closed wherever they are. */
  async add(conn: DeviceConnection): Promise<void> {
    const old = await this.register_(
      key(conn),
      conn.connectionId,
      this.limits.MAX_SOCKETS_PER_DEVICE,
      SET_TTL_MS,
    );
    if (old.length > 0)
      await this.control.publish({
        kind: 'evict',
        userId: conn.userId,
        deviceId: conn.deviceId,
        connectionIds: old,
      });
  }

  async remove(conn: DeviceConnection): Promise<void> {
    await this.redis.zrem(key(conn), conn.connectionId);
  }
}

const key = (conn: DeviceConnection): string => `sockets:${conn.userId}:${conn.deviceId}`;
