import type { CqlClient } from '#libs/cassandra';
import { DEFAULT_PRIVACY, type PresenceAudience, type PrivacySettings } from '#libs/domain';
import { ContactSetStore } from './contact-set.store.js';
import { conversationsTables } from './conversations-tables.js';
import { versionOf, type VersionSource } from './read-model-versions.js';

const AUDIENCES = new Set<string>(['everyone', 'contacts', 'nobody']);
const audience = (v: unknown, fallback: PresenceAudience): PresenceAudience =>
  typeof v === 'string' && AUDIENCES.has(v) ? (v as PresenceAudience) : fallback;

/** Last seen and privacy settings per user (last_seen_by_user, privacy_by_user), and who a user's contacts are. */
export class PresenceStore {
  /** `versions`: contacts come from conversations_by_user of the version readers are switched to. */
  private readonly sets: ContactSetStore;

  constructor(
    private readonly cql: CqlClient,
    private readonly versions?: VersionSource,
  ) {
    this.sets = new ContactSetStore(cql);
  }

  /** USING TIMESTAMP of the last seen: the latest last seen wins whatever the order of writes. */
  async recordLastSeen(userId: string, lastSeen: Date): Promise<void> {
    await this.cql.execute('UPDATE last_seen_by_user USING TIMESTAMP ? SET last_seen = ? WHERE user_id = ?', [
      lastSeen.getTime() * 1000,
      lastSeen,
      userId,
    ]);
  }

  /** A forgotten user: last seen and privacy settings go (only the event log's audit record stays). */
  async forgetUser(userId: string): Promise<void> {
    await this.cql.execute('DELETE FROM last_seen_by_user WHERE user_id = ?', [userId], { prepare: true });
    await this.cql.execute('DELETE FROM privacy_by_user WHERE user_id = ?', [userId], { prepare: true });
  }

  async lastSeen(userId: string): Promise<Date | undefined> {
    const row = (
      await this.cql.execute('SELECT last_seen FROM last_seen_by_user WHERE user_id = ?', [userId])
    ).first();
    return (row?.get('last_seen') as Date | null) ?? undefined;
  }

  async savePrivacy(userId: string, settings: PrivacySettings, streamSeq: number): Promise<void> {
    await this.cql.execute(
      'INSERT INTO privacy_by_user (user_id, last_seen, online) VALUES (?, ?, ?) USING TIMESTAMP ?',
      [userId, settings.lastSeen, settings.online, streamSeq],
    );
  }

  /** The settings and their version (the stream sequence they were written with; 0 for the default). */
  async privacy(userId: string): Promise<{ settings: PrivacySettings; version: number }> {
    const row = (
      await this.cql.execute(
        'SELECT last_seen, online, WRITETIME(online) AS version FROM privacy_by_user WHERE user_id = ?',
        [userId],
      )
    ).first();
    if (!row) return { settings: DEFAULT_PRIVACY, version: 0 };
    return {
      settings: {
        lastSeen: audience(row.get('last_seen'), DEFAULT_PRIVACY.lastSeen),
        online: audience(row.get('online'), DEFAULT_PRIVACY.online),
      },
      version: Number(row.get('version') ?? 0),
    };
  }

  /**
   * A user's contacts for every privacy setting: their own contact set (the accounts their address book
   * names, contact_sets). A user whose client never sent an address book keeps the relation that served
   * before it existed (the people they sent a message to in a direct conversation, contacts_by_user), so
   * nobody's audience changes under them until their client uploads one.
   */
  async contacts(userId: string): Promise<Set<string>> {
    // Both at once: a presence answer waits on this, and a second round trip in a row would show.
    const [own, legacy] = await Promise.all([this.sets.get(userId), this.legacyContacts(userId)]);
    return own.synced ? new Set(own.contactIds) : legacy;
  }

  /** Before address books: whom the user wrote to in a direct conversation (contacts_by_user, migration 010). */
  private async legacyContacts(userId: string): Promise<Set<string>> {
    const t = conversationsTables(await versionOf(this.versions, 'conversations'));
    const rs = await this.cql.execute(
      `SELECT contact_id FROM ${t.contactsByUser} WHERE user_id = ?`,
      [userId],
      {
        fetchSize: 5000,
      },
    );
    return new Set(rs.rows.map((r) => r.get('contact_id') as string));
  }
}
