import { Inject, Injectable } from '@nestjs/common';
import { presenceVisibility, type PresenceVisibility, type PrivacySettings } from '#libs/domain';
import { PresenceStore } from '#libs/read-models';
import type { PresenceConfig } from '../gateway.config.js';
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
  private readonly privacyCache = new Map<string, Cached<PrivacySettings>>();
  private readonly contactsCache = new Map<string, Cached<Set<string>>>();

  constructor(
    private readonly store: PresenceStore,
    @Inject(PRESENCE_CONFIG) private readonly config: Readonly<PresenceConfig>,
  ) {}

  private fresh<T>(c: Cached<T> | undefined): boolean {
    return c !== undefined && Date.now() - c.at < this.config.PRESENCE_PRIVACY_CACHE_MS;
  }

  private put<T>(cache: Map<string, Cached<T>>, key: string, value: Cached<T>): void {
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(key, value);
  }

  /** A privacy setting known from the log (version = its stream sequence). */
  learnPrivacy(userId: string, settings: PrivacySettings, version: number): void {
    const known = this.privacyCache.get(userId);
    if (known && known.version > version) return;
    this.put(this.privacyCache, userId, { value: settings, at: Date.now(), version });
  }

  async privacy(userId: string): Promise<PrivacySettings> {
    const known = this.privacyCache.get(userId);
    if (known && this.fresh(known)) return known.value;
    const row = await this.store.privacy(userId);
    const latest = known && known.version > row.version ? known.value : row.settings;
    this.put(this.privacyCache, userId, {
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
    this.put(this.contactsCache, userId, { value, at: Date.now(), version: 0 });
    return value;
  }

  async visibility(viewerId: string, targetId: string): Promise<PresenceVisibility> {
    if (viewerId === targetId) return { online: true, lastSeen: true };
    const [viewer, target, contacts] = await Promise.all([
      this.privacy(viewerId),
      this.privacy(targetId),
      this.contacts(targetId),
    ]);
    return presenceVisibility({ viewerId, targetId, viewer, target, areContacts: contacts.has(viewerId) });
  }
}
