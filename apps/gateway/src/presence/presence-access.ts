import { Inject, Injectable } from '@nestjs/common';
import { presenceVisibility, type PresenceVisibility, type PrivacySettings } from '#libs/domain';
import { BoundedMap } from '#libs/platform';
import { PresenceStore } from '#libs/read-models';
import type { PresenceConfig } from '../gateway.config.js';
import { BlockDirectory } from '../safety/block-directory.js';
import { PRESENCE_CONFIG } from '../tokens.js';

interface Cached<T> {
  readonly value: T;
  readonly at: number;
  /** Stream sequence of the PrivacySettingsChanged it reflects (0: from the read model). */
  readonly version: number;
}

const CACHE_LIMIT = 100_000;

/**
 * Decides what a viewer may see of a user's presence: both users' privacy settings (read model
 * privacy_by_user) and whether the viewer is the user's contact (someone the user wrote to in a direct
 * conversation: contacts_by_user; opening a chat or sharing a group is not enough), cached
 * briefly. A setting this gateway learnt from the log itself (a change it appended or a live update)
 * wins over an older read-model row until the projector has caught up.
 */
@Injectable()
export class PresenceAccess {
  private readonly privacyCache = new BoundedMap<string, Cached<PrivacySettings>>(CACHE_LIMIT);
  private readonly contactsCache = new BoundedMap<string, Cached<Set<string>>>(CACHE_LIMIT);

  constructor(
    private readonly store: PresenceStore,
    private readonly blocks: BlockDirectory,
    @Inject(PRESENCE_CONFIG) private readonly config: Readonly<PresenceConfig>,
  ) {}

  private fresh<T>(c: Cached<T> | undefined): boolean {
    return c !== undefined && Date.now() - c.at < this.config.PRESENCE_PRIVACY_CACHE_MS;
  }

  /** A privacy setting known from the log (version = its stream sequence). */
  learnPrivacy(userId: string, settings: PrivacySettings, version: number): void {
    const known = this.privacyCache.get(userId);
    if (known && known.version > version) return;
    this.privacyCache.set(userId, { value: settings, at: Date.now(), version });
  }

  async privacy(userId: string): Promise<PrivacySettings> {
    const known = this.privacyCache.get(userId);
    if (known && this.fresh(known)) return known.value;
    const row = await this.store.privacy(userId);
    const latest = known && known.version > row.version ? known.value : row.settings;
    this.privacyCache.set(userId, {
      value: latest,
      at: Date.now(),
      version: Math.max(row.version, known?.version ?? 0),
    });
    return latest;
  }

  async contacts(userId: string): Promise<Set<string>> {
    const known = this.contactsCache.get(userId);
    if (known && this.fresh(known)) return known.value;
    const value = await this.store.contacts(userId);
    this.contactsCache.set(userId, { value, at: Date.now(), version: 0 });
    return value;
  }

  async visibility(viewerId: string, targetId: string): Promise<PresenceVisibility> {
    if (viewerId === targetId) return { online: true, lastSeen: true };
    const [viewer, target, contacts, blocked] = await Promise.all([
      this.privacy(viewerId),
      this.privacy(targetId),
      this.contacts(targetId),
      this.blocks.blocks(targetId, viewerId),
    ]);
    // Someone the target blocked sees neither, like a target who shows them to nobody.
    if (blocked) return { online: false, lastSeen: false };
    return presenceVisibility({ viewerId, targetId, viewer, target, areContacts: contacts.has(viewerId) });
  }
}
