import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import { Inject } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Profile } from '#libs/domain';
import { profileLiveSubject, SUBJECT_TOKEN } from '#libs/events';
import { NatsClient, subscribeNotices } from '#libs/nats';
import { LOGGER } from '#libs/platform';
import { LiveSessions } from '../ws/live-sessions.js';
import { ProfileViews } from './profile-views.js';

/** A profile changed: its new state, and whose devices get a `profile` frame (the owner and their contacts). */
interface ProfileNotice {
  readonly userId: string;
  readonly profile: Profile;
  readonly version: number;
  readonly recipients: readonly string[];
}

/** Recipients per notice: keeps a notice far below NATS's payload limit however large a contact set is. */
const RECIPIENTS_PER_NOTICE = 1000;

function isNotice(v: unknown): v is ProfileNotice {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  const p = o.profile as Record<string, unknown> | undefined;
  return (
    typeof o.userId === 'string' &&
    SUBJECT_TOKEN.test(o.userId) &&
    typeof o.version === 'number' &&
    Array.isArray(o.recipients) &&
    typeof p === 'object' &&
    p !== null &&
    typeof p.about === 'string' &&
    typeof p.privacy === 'object'
  );
}

/**
 * Live `profile` frames: the gateway that appended a change tells every gateway (one core NATS subject,
 * at most once); each sends the frame, as that recipient may see it, to the recipients' devices it holds.
 * A device that misses it learns the change at its next `profile.changes`.
 */
@Injectable()
export class ProfileLive implements OnModuleInit, OnModuleDestroy {
  private sub?: Subscription;

  constructor(
    private readonly nats: NatsClient,
    private readonly sessions: LiveSessions,
    private readonly views: ProfileViews,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.sub = subscribeNotices(
      this.nats.nc,
      profileLiveSubject(this.nats.topology),
      (v) => (isNotice(v) ? v : undefined),
      (notice) =>
        this.deliver(notice).catch((e: unknown) => this.logger.warn({ err: e }, 'profile frame not sent')),
    );
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }

  publish(userId: string, profile: Profile, version: number, recipients: readonly string[]): void {
    const all = [...new Set([userId, ...recipients])];
    for (let i = 0; i < all.length; i += RECIPIENTS_PER_NOTICE) {
      const notice: ProfileNotice = {
        userId,
        profile,
        version,
        recipients: all.slice(i, i + RECIPIENTS_PER_NOTICE),
      };
      this.nats.nc.publish(profileLiveSubject(this.nats.topology), JSON.stringify(notice));
    }
  }

  private async deliver(n: ProfileNotice): Promise<void> {
    for (const recipient of n.recipients) {
      const devices = this.sessions.ofUser(recipient);
      if (devices.length === 0) continue;
      // Every recipient but the owner is in the owner's contact set: that is who the notice goes to.
      const data = await this.views.viewFor(recipient, n, recipient !== n.userId);
      for (const conn of devices) conn.send({ type: 'profile', data });
    }
  }
}
