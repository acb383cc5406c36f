import { Inject, Injectable } from '@nestjs/common';
import { profileFieldVisible, type Profile } from '#libs/domain';
import { UserCommandHandler } from '#libs/nats';
import type { ProfileView } from '#libs/protocol';
import { avatarKeyOf, DeviceStore, ProfileStore } from '#libs/read-models';
import { ObjectStore } from '#libs/s3';
import type { MediaConfig } from '#libs/config';
import { PresenceAccess } from '../presence/presence-access.js';
import { BlockDirectory } from '../safety/block-directory.js';
import { MEDIA_CONFIG } from '../tokens.js';

/** A profile with its version (the USERS stream sequence of its latest change). */
export interface VersionedProfile {
  readonly userId: string;
  readonly profile: Profile;
  readonly version: number;
  /** The account was deleted or forgotten: nothing of it is shown. */
  readonly deleted?: true;
}

/**
 * What a viewer may see of profiles. The avatar and the about line follow the owner's audience for each
 * (everyone, contacts: someone in the owner's contact set, nobody); the display name is seen by everyone.
 * Avatars come as short-lived presigned URLs (computed here, no round trip).
 */
@Injectable()
export class ProfileViews {
  constructor(
    private readonly store: ProfileStore,
    private readonly devices: DeviceStore,
    private readonly users: UserCommandHandler,
    private readonly access: PresenceAccess,
    private readonly objects: ObjectStore,
    private readonly blocks: BlockDirectory,
    @Inject(MEDIA_CONFIG) private readonly media: Readonly<MediaConfig>,
  ) {}

  /** The caller's own profile, from the aggregate (a change it just made is there before the read model). */
  async own(userId: string): Promise<VersionedProfile | undefined> {
    const { state, version } = await this.users.load(userId);
    return state.status === 'active' ? { userId, profile: state.profile, version } : undefined;
  }

  /** Someone's profile from the read model; an account without one yet has an empty profile; no account: undefined. */
  async stored(userId: string): Promise<VersionedProfile | undefined> {
    const row = await this.store.get(userId);
    if (row) return row;
    if (!(await this.devices.userExists(userId))) return undefined;
    const empty = { about: '', privacy: { avatar: 'everyone', about: 'everyone' } } as const;
    // No profile row: a user who never set one, or one whose account is gone (the aggregate says which).
    const { state, version } = await this.users.load(userId);
    if (state.status === 'forgotten') return { userId, profile: empty, version, deleted: true };
    return { userId, profile: empty, version: 0 };
  }

  /** `viewerIsContact` when already known (the live path sends only to contacts); else looked up. */
  async viewFor(viewerId: string, p: VersionedProfile, viewerIsContact?: boolean): Promise<ProfileView> {
    const { userId, profile } = p;
    if (p.deleted)
      return { userId, visible: { avatar: false, about: false }, version: String(p.version), deleted: true };
    const needsContacts = profile.privacy.avatar === 'contacts' || profile.privacy.about === 'contacts';
    const isContact =
      viewerIsContact ??
      (needsContacts && viewerId !== userId ? (await this.access.contacts(userId)).has(viewerId) : false);
    const who = { viewerId, targetId: userId, viewerIsContact: isContact };
    // Someone the owner blocked sees the display name only (as with both fields set to nobody).
    const blocked = await this.blocks.blocks(userId, viewerId);
    const visible = {
      avatar: !blocked && profileFieldVisible(profile.privacy.avatar, who),
      about: !blocked && profileFieldVisible(profile.privacy.about, who),
    };
    const ttl = this.media.MEDIA_DOWNLOAD_URL_TTL_SECONDS;
    const avatar =
      visible.avatar && profile.avatarId
        ? {
            avatarId: profile.avatarId,
            url: await this.objects.presignGet(avatarKeyOf(userId, profile.avatarId), ttl),
            expiresInSeconds: ttl,
          }
        : undefined;
    return {
      userId,
      ...(profile.displayName !== undefined ? { displayName: profile.displayName } : {}),
      ...(visible.about && profile.about !== '' ? { about: profile.about } : {}),
      ...(avatar ? { avatar } : {}),
      visible,
      version: String(p.version),
    };
  }

  /** Profiles of many users for one viewer, in the order asked; ids that are no account are left out. */
  async forViewer(viewerId: string, userIds: readonly string[]): Promise<ProfileView[]> {
    const unique = [...new Set(userIds)];
    const found = await Promise.all(unique.map((id) => (id === viewerId ? this.own(id) : this.stored(id))));
    return Promise.all(
      found.filter((p): p is VersionedProfile => p !== undefined).map((p) => this.viewFor(viewerId, p)),
    );
  }
}
