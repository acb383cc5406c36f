import type { ICommandHandler, IQueryHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import { checkAbout, checkDisplayName, type UpdateProfile } from '#libs/domain';
import { UserCommandHandler } from '#libs/nats';
import { CLOCK, type Clock } from '#libs/platform';
import type { ProfileView, Requests } from '#libs/protocol';
import { ProfileStore } from '#libs/read-models';
import { ApiError, accepted } from '../../http/api-error.js';
import { PresenceAccess } from '../../presence/presence-access.js';
import { AvatarIntake } from '../../profiles/avatar-intake.js';
import { ProfileLive } from '../../profiles/profile-live.js';
import { ProfileViews } from '../../profiles/profile-views.js';
import { FrameCommand, FrameHandler, FrameQuery } from '../frame-handler.js';
import { ProfileChangesDto, ProfileGetDto, ProfileSetDto } from '../profile-frames.dto.js';

/** Rows of `profile.changes` per answer; the client asks again with the cursor while `complete` is false. */
const CHANGES_PER_PAGE = 200;

function textProblem(field: string, check: { ok: true } | { ok: false; problem: string }): void {
  if (!check.ok)
    throw new ApiError('VALIDATION_FAILED', `${field}: ${check.problem}`, {
      fields: [{ field, problem: check.problem }],
    });
}

/**
 * Changes the caller's profile (USERS events), then tells the owner's other devices and contacts live.
 * The texts are checked (by the domain's own rules) before an avatar is copied, so a refused change
 * leaves no avatar object behind.
 */
export class ProfileSetCommand extends FrameCommand<ProfileSetDto, Requests['profile.set']['result']> {}

@FrameHandler(ProfileSetCommand, { 'profile.set': ProfileSetDto })
export class ProfileSetHandler implements ICommandHandler<ProfileSetCommand> {
  constructor(
    private readonly users: UserCommandHandler,
    private readonly avatars: AvatarIntake,
    private readonly views: ProfileViews,
    private readonly live: ProfileLive,
    private readonly access: PresenceAccess,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ conn, data }: ProfileSetCommand): Promise<ProfileView> {
    if (data.avatarMediaId !== undefined && data.removeAvatar)
      throw new ApiError('VALIDATION_FAILED', 'either avatarMediaId or removeAvatar', {
        fields: [{ field: 'removeAvatar', problem: 'not with avatarMediaId' }],
      });
    if (data.displayName !== undefined) textProblem('displayName', checkDisplayName(data.displayName));
    if (data.about !== undefined) textProblem('about', checkAbout(data.about));
    const avatarId =
      data.avatarMediaId !== undefined
        ? await this.avatars.take(conn.userId, data.avatarMediaId)
        : data.removeAvatar
          ? null
          : undefined;
    const command: UpdateProfile = {
      type: 'UpdateProfile',
      ...(data.displayName !== undefined ? { displayName: data.displayName } : {}),
      ...(data.about !== undefined ? { about: data.about } : {}),
      ...(avatarId !== undefined ? { avatarId } : {}),
    };
    const { state, version, events } = accepted(
      await this.users.handle(conn.userId, command, { now: this.clock.now() }),
    );
    if (state.status !== 'active') throw new ApiError('NOT_FOUND', 'no such user');
    if (events.length > 0)
      this.live.publish(conn.userId, state.profile, version, [...(await this.access.contacts(conn.userId))]);
    return this.views.viewFor(conn.userId, { userId: conn.userId, profile: state.profile, version });
  }
}

/** Profiles of up to 100 users, each as the caller may see it; ids that are no account are left out. */
export class ProfileGetQuery extends FrameQuery<ProfileGetDto, Requests['profile.get']['result']> {}

@FrameHandler(ProfileGetQuery, { 'profile.get': ProfileGetDto })
export class ProfileGetHandler implements IQueryHandler<ProfileGetQuery> {
  constructor(private readonly views: ProfileViews) {}

  async execute({ conn, data }: ProfileGetQuery): Promise<Requests['profile.get']['result']> {
    return { profiles: await this.views.forViewer(conn.userId, data.userIds) };
  }
}

/**
 * The profiles of the caller's contacts (and their own) that changed after the cursor: what a device
 * that was offline missed of the live `profile` frames.
 */
export class ProfileChangesQuery extends FrameQuery<
  ProfileChangesDto,
  Requests['profile.changes']['result']
> {}

@FrameHandler(ProfileChangesQuery, { 'profile.changes': ProfileChangesDto })
export class ProfileChangesHandler implements IQueryHandler<ProfileChangesQuery> {
  constructor(
    private readonly store: ProfileStore,
    private readonly views: ProfileViews,
  ) {}

  async execute({ conn, data }: ProfileChangesQuery): Promise<Requests['profile.changes']['result']> {
    const since = data.since !== undefined ? Number(data.since) : 0;
    const { userIds, last, rows } = await this.store.changesSince(conn.userId, since, CHANGES_PER_PAGE);
    return {
      profiles: await this.views.forViewer(conn.userId, userIds),
      cursor: String(last),
      complete: rows < CHANGES_PER_PAGE,
    };
  }
}
