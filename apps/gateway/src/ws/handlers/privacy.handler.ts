import type { ICommandHandler, IQueryHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import { DEFAULT_PROFILE_PRIVACY } from '#libs/domain';
import { UserCommandHandler } from '#libs/nats';
import { CLOCK, type Clock } from '#libs/platform';
import type { PrivacySettingsView, Requests } from '#libs/protocol';
import { ApiError, accepted } from '../../http/api-error.js';
import { PresenceAccess } from '../../presence/presence-access.js';
import { PresenceBus } from '../../presence/presence-bus.js';
import { PresenceQuery } from '../../presence/presence-query.js';
import { PresenceWatchers } from '../../presence/presence-watchers.js';
import { ProfileLive } from '../../profiles/profile-live.js';
import { EmptyDto, PrivacyDto } from '../frames.dto.js';
import { FrameCommand, FrameQuery, FrameHandler } from '../frame-handler.js';

export class PrivacyGetQuery extends FrameQuery<EmptyDto, Requests['privacy.get']['result']> {}

@FrameHandler(PrivacyGetQuery, { 'privacy.get': EmptyDto })
export class PrivacyGetHandler implements IQueryHandler<PrivacyGetQuery> {
  constructor(
    private readonly access: PresenceAccess,
    private readonly users: UserCommandHandler,
  ) {}

  async execute({ conn }: PrivacyGetQuery): Promise<PrivacySettingsView> {
    const [presence, { state }] = await Promise.all([
      this.access.privacy(conn.userId),
      this.users.load(conn.userId),
    ]);
    const profile = state.status === 'active' ? state.profile.privacy : DEFAULT_PROFILE_PRIVACY;
    return { ...presence, ...profile };
  }
}

/**
 * Appends PrivacySettingsChanged to the user's aggregate, then tells every gateway whose devices watch
 * the user (a live update carrying the new setting, so they judge with it at once) and re-sends this
 * gateway's watchers of others what reciprocity now lets the user see.
 */
export class PrivacySetCommand extends FrameCommand<PrivacyDto, Requests['privacy.set']['result']> {}

@FrameHandler(PrivacySetCommand, { 'privacy.set': PrivacyDto })
export class PrivacySetHandler implements ICommandHandler<PrivacySetCommand> {
  constructor(
    private readonly users: UserCommandHandler,
    private readonly bus: PresenceBus,
    private readonly query: PresenceQuery,
    private readonly watchers: PresenceWatchers,
    private readonly profiles: ProfileLive,
    private readonly access: PresenceAccess,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ conn, data }: PrivacySetCommand): Promise<PrivacySettingsView> {
    const { state, version, events } = accepted(
      await this.users.handle(
        conn.userId,
        {
          type: 'ChangePrivacySettings',
          ...(data.lastSeen ? { lastSeen: data.lastSeen } : {}),
          ...(data.online ? { online: data.online } : {}),
          ...(data.avatar ? { avatar: data.avatar } : {}),
          ...(data.about ? { about: data.about } : {}),
        },
        { now: this.clock.now() },
      ),
    );
    if (state.status !== 'active') throw new ApiError('NOT_FOUND', 'no such user');
    // This gateway's PresenceAccess learnt the new setting from the EventBus (PrivacyLearnerHandler).
    const settings = state.privacy;
    const facts = await this.query.facts(conn.userId);
    this.bus.publishPresence({ ...facts, privacy: { settings, version } });
    // Reciprocity: what this user's devices here may see of others may have changed too.
    for (const device of this.watchers.devicesOf(conn.userId))
      for (const target of this.watchers.watchedBy(device))
        device.send({ type: 'presence', data: await this.query.stateFor(conn.userId, target) });
    // Who sees the avatar and about line changed: contacts get the profile as they may now see it.
    if (events.some((e) => e.type === 'ProfilePrivacyChanged'))
      this.profiles.publish(conn.userId, state.profile, version, [
        ...(await this.access.contacts(conn.userId)),
      ]);
    return { ...settings, ...state.profile.privacy };
  }
}
