import { Inject, Injectable } from '@nestjs/common';
import { ConversationCommandHandler } from '#libs/nats';
import type { Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { isMember } from '#libs/domain';
import { LOGGER } from '#libs/platform';
import type { PresenceState, TypingIndicator } from '#libs/protocol';
import type { DeviceConnection } from '../ws/device-connection.js';
import { PresenceAccess } from './presence-access.js';
import { PresenceBus, type PresenceLive } from './presence-bus.js';
import { redact } from './presence-query.js';
import { BlockDirectory } from '../safety/block-directory.js';

interface Topic {
  readonly sub: Subscription;
  readonly watchers: Set<DeviceConnection>;
}

interface Watching {
  users: ReadonlySet<string>;
  conversationId?: string;
}

/**
 * Which devices on this gateway watch whose presence and which conversation's typing, with one core
 * NATS subscription per watched user or conversation however many devices watch it. Every live update
 * is judged against privacy (presence) or current membership (typing) for each watcher before it is sent.
 */
@Injectable()
export class PresenceWatchers {
  private readonly users = new Map<string, Topic>();
  private readonly conversations = new Map<string, Topic>();
  private readonly watching = new Map<DeviceConnection, Watching>();

  constructor(
    private readonly bus: PresenceBus,
    private readonly access: PresenceAccess,
    private readonly conversationStates: ConversationCommandHandler,
    private readonly blocks: BlockDirectory,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Replaces what the device watches; resolves once NATS has the subscriptions (nothing falls between). */
  async watch(conn: DeviceConnection, userIds: readonly string[], conversationId?: string): Promise<void> {
    this.unwatch(conn);
    const users = new Set(userIds);
    this.watching.set(conn, { users, ...(conversationId ? { conversationId } : {}) });
    for (const u of users)
      this.join(this.users, u, conn, () => this.bus.subscribePresence(u, (p) => this.onPresence(p)));
    if (conversationId)
      this.join(this.conversations, conversationId, conn, () =>
        this.bus.subscribeTyping(conversationId, (t) => this.onTyping(t)),
      );
    await this.bus.flush();
  }

  unwatch(conn: DeviceConnection): void {
    const w = this.watching.get(conn);
    if (!w) return;
    this.watching.delete(conn);
    for (const u of w.users) this.leave(this.users, u, conn);
    if (w.conversationId) this.leave(this.conversations, w.conversationId, conn);
  }

  /** This gateway's devices of a user that watch someone. */
  devicesOf(userId: string): DeviceConnection[] {
    return [...this.watching.keys()].filter((c) => c.userId === userId);
  }

  watchedBy(conn: DeviceConnection): string[] {
    return [...(this.watching.get(conn)?.users ?? [])];
  }

  private join(
    topics: Map<string, Topic>,
    key: string,
    conn: DeviceConnection,
    subscribe: () => Subscription,
  ): void {
    let t = topics.get(key);
    if (!t) {
      t = { sub: subscribe(), watchers: new Set() };
      topics.set(key, t);
    }
    t.watchers.add(conn);
  }

  private leave(topics: Map<string, Topic>, key: string, conn: DeviceConnection): void {
    const t = topics.get(key);
    if (!t?.watchers.delete(conn)) return;
    if (t.watchers.size === 0) {
      t.sub.unsubscribe();
      topics.delete(key);
    }
  }

  private onPresence(p: PresenceLive): void {
    if (p.privacy) this.access.learnPrivacy(p.userId, p.privacy.settings, p.privacy.version);
    const facts = {
      userId: p.userId,
      online: p.online,
      ...(p.lastSeen !== undefined ? { lastSeen: p.lastSeen } : {}),
    };
    for (const conn of this.users.get(p.userId)?.watchers ?? []) {
      void this.access
        .visibility(conn.userId, p.userId)
        .then((visible) => {
          const state: PresenceState = redact(facts, visible);
          // Nothing visible: say nothing (a frame would tell that something happened).
          if (visible.online || visible.lastSeen || p.privacy) conn.send({ type: 'presence', data: state });
        })
        .catch((err: unknown) =>
          this.logger.warn({ err: (err as Error).message, userId: p.userId }, 'presence update not judged'),
        );
    }
  }

  /**
   * Membership is checked as each indicator is forwarded, not only when the device subscribed: a member
   * removed since then hears nothing more (one state check per indicator, however many watch it here).
   */
  private onTyping(t: TypingIndicator): void {
    if (!this.conversations.get(t.conversationId)?.watchers.size) return;
    void this.conversationStates
      .load(t.conversationId)
      .then(async ({ state }) => {
        for (const conn of this.conversations.get(t.conversationId)?.watchers ?? []) {
          if (conn.userId === t.userId && conn.deviceId === t.deviceId) continue; // not back to its sender
          // Between a blocker and the one they blocked, typing goes neither way.
          if (isMember(state, conn.userId) && !(await this.blocks.between(conn.userId, t.userId)))
            conn.send({ type: 'typing', data: t });
        }
      })
      .catch((err: unknown) =>
        this.logger.warn(
          { err: (err as Error).message, conversationId: t.conversationId },
          'typing indicator not forwarded',
        ),
      );
  }
}
