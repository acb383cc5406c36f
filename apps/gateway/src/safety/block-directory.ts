import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { blocksLiveSubject, SUBJECT_TOKEN } from '#libs/events';
import { NatsClient, subscribeNotices, UserCommandHandler } from '#libs/nats';
import { BoundedMap, LOGGER } from '#libs/platform';
import { ApiError } from '../http/api-error.js';
import { LiveSessions } from '../ws/live-sessions.js';

/** A user's block list changed: the whole new list and the USERS sequence it reflects. */
interface BlocksNotice {
  readonly userId: string;
  readonly blocked: readonly string[];
  readonly version: number;
}

interface Known {
  readonly blocked: ReadonlySet<string>;
  readonly version: number;
  readonly at: number;
}

/**
 * How long a block list learnt from the aggregate is trusted: a change reaches every gateway at once by
 * its notice, so this only bounds how long a notice this gateway missed (a reconnect) can go unnoticed.
 */
const TRUSTED_MS = 60_000;
const USERS_MAX = 100_000;
const NONE: ReadonlySet<string> = new Set();

function isNotice(v: unknown): v is BlocksNotice {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.userId === 'string' &&
    SUBJECT_TOKEN.test(o.userId) &&
    typeof o.version === 'number' &&
    Array.isArray(o.blocked) &&
    o.blocked.every((b) => typeof b === 'string' && SUBJECT_TOKEN.test(b))
  );
}

/**
 * Whom each user blocked, for the decisions the gateway makes per frame: a direct message withheld from
 * the blocker, presence and profile fields hidden from the blocked, typing not forwarded, groups the
 * blocked may not add the blocker to. The user aggregate is the truth (loaded on a miss); the gateway
 * that appends a change tells every gateway at once (core NATS), which also sends the user's own devices
 * a `blocks` frame, so the send path reads memory in steady state.
 */
@Injectable()
export class BlockDirectory implements OnModuleInit, OnModuleDestroy {
  private readonly known = new BoundedMap<string, Known>(USERS_MAX);
  private sub?: Subscription;

  constructor(
    private readonly nats: NatsClient,
    private readonly users: UserCommandHandler,
    private readonly sessions: LiveSessions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.sub = subscribeNotices(
      this.nats.nc,
      blocksLiveSubject(this.nats.topology),
      (v) => (isNotice(v) ? v : undefined),
      (n) => {
        this.learn(n.userId, n.blocked, n.version);
        const frame = {
          type: 'blocks' as const,
          data: { blocked: [...n.blocked], version: String(n.version) },
        };
        for (const conn of this.sessions.ofUser(n.userId)) conn.send(frame);
      },
    );
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }

  private learn(userId: string, blocked: readonly string[], version: number): void {
    const was = this.known.get(userId);
    if (was && was.version > version) return;
    this.known.set(userId, { blocked: new Set(blocked), version, at: Date.now() });
  }

  /** A change this gateway appended: known here at once, and told to every gateway. */
  announce(userId: string, blocked: readonly string[], version: number): void {
    this.learn(userId, blocked, version);
    const notice: BlocksNotice = { userId, blocked, version };
    this.nats.nc.publish(blocksLiveSubject(this.nats.topology), JSON.stringify(notice));
  }

  /** Whom `userId` blocked. */
  async blockedBy(userId: string): Promise<ReadonlySet<string>> {
    const held = this.known.get(userId);
    if (held && Date.now() - held.at < TRUSTED_MS) return held.blocked;
    try {
      const { state, version } = await this.users.load(userId);
      const blocked = state.status === 'active' ? state.blocked : NONE;
      this.learn(userId, [...blocked], version);
      return blocked;
    } catch (err) {
      if (held) {
        this.logger.warn({ err, userId }, 'block list not reloaded; the one held is used');
        return held.blocked;
      }
      throw err;
    }
  }

  /** Whether `blocker` blocked `other`. */
  async blocks(blocker: string, other: string): Promise<boolean> {
    if (blocker === other) return false;
    return (await this.blockedBy(blocker)).has(other);
  }

  /** Either blocked the other (typing goes neither way between them). */
  async between(a: string, b: string): Promise<boolean> {
    const [ab, ba] = await Promise.all([this.blocks(a, b), this.blocks(b, a)]);
    return ab || ba;
  }

  /** BLOCKED when one of `targets` blocked `requester` (adding someone to a group who blocked you). */
  async refuseBlockedBy(requester: string, targets: readonly string[]): Promise<void> {
    const found = await Promise.all(targets.map((t) => this.blocks(t, requester)));
    const refusing = targets.filter((_, i) => found[i]);
    if (refusing.length > 0)
      throw new ApiError('BLOCKED', 'these users cannot be added by you', { userIds: refusing });
  }
}
