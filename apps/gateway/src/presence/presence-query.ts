import { Inject, Injectable } from '@nestjs/common';
import type { PresenceVisibility } from '#libs/domain';
import type { PresenceState } from '#libs/protocol';
import { PresenceStore } from '#libs/read-models';
import type { PresenceConfig } from '../gateway.config.js';
import { PRESENCE_CONFIG } from '../tokens.js';
import { PresenceAccess } from './presence-access.js';
import { PresenceTracker } from './presence-tracker.js';

/** The facts about a user's presence, before privacy. */
export interface PresenceFacts {
  readonly userId: string;
  readonly online: boolean;
  readonly lastSeen?: number;
}

/** What a viewer may see of presence facts: privacy leaves out what it hides. */
export function redact(facts: PresenceFacts, visible: PresenceVisibility): PresenceState {
  return {
    userId: facts.userId,
    visible,
    ...(visible.online ? { online: facts.online } : {}),
    ...(visible.lastSeen && !facts.online && facts.lastSeen !== undefined
      ? { lastSeen: new Date(facts.lastSeen).toISOString() }
      : {}),
  };
}

/**
 * The current presence of a user: online from the Redis registry (any device active within the
 * threshold); last seen from Redis, or from Cassandra (last_seen_by_user) when Redis lost it.
 */
@Injectable()
export class PresenceQuery {
  constructor(
    private readonly tracker: PresenceTracker,
    private readonly store: PresenceStore,
    private readonly access: PresenceAccess,
    @Inject(PRESENCE_CONFIG) private readonly config: Readonly<PresenceConfig>,
  ) {}

  async facts(userId: string): Promise<PresenceFacts> {
    const now = Date.now();
    const devices = await this.tracker.registry.devices(userId);
    const online = devices.some((d) => d.lastActive + this.config.PRESENCE_ONLINE_THRESHOLD_MS > now);
    if (online) return { userId, online };
    const [fromRedis, fromCassandra] = await Promise.all([
      this.tracker.registry.lastSeen(userId),
      this.store.lastSeen(userId),
    ]);
    const candidates = [
      fromRedis,
      fromCassandra?.getTime(),
      // a device past its threshold the sweeper has not reached yet
      ...devices.map((d) => d.lastActive),
    ].filter((v): v is number => v !== undefined && v > 0);
    return candidates.length > 0 ? { userId, online, lastSeen: Math.max(...candidates) } : { userId, online };
  }

  async stateFor(viewerId: string, targetId: string): Promise<PresenceState> {
    const [facts, visible] = await Promise.all([
      this.facts(targetId),
      this.access.visibility(viewerId, targetId),
    ]);
    return redact(facts, visible);
  }
}
