import type { CqlClient } from '#libs/cassandra';
import { DEFAULT_PROFILE_PRIVACY, type PresenceAudience, type Profile } from '#libs/domain';

const AUDIENCES = new Set<string>(['everyone', 'contacts', 'nobody']);
const audience = (v: unknown, fallback: PresenceAudience): PresenceAudience =>
  typeof v === 'string' && AUDIENCES.has(v) ? (v as PresenceAudience) : fallback;
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const P = { prepare: true } as const;

/** A stored profile and its version: the USERS stream sequence of its latest change. */
export interface StoredProfile {
  readonly userId: string;
  readonly profile: Profile;
  readonly version: number;
}

/** Profiles (profiles_by_user) and the changes each user's devices learn at sync (profile_changes_by_user). */
export class ProfileStore {
  constructor(private readonly cql: CqlClient) {}

  async setDisplayName(userId: string, displayName: string, seq: number): Promise<void> {
    await this.cql.execute(
      'UPDATE profiles_by_user USING TIMESTAMP ? SET display_name = ? WHERE user_id = ?',
      [seq, displayName, userId],
      P,
    );
  }

  async setAbout(userId: string, about: string, seq: number): Promise<void> {
    await this.cql.execute(
      'UPDATE profiles_by_user USING TIMESTAMP ? SET about = ? WHERE user_id = ?',
      [seq, about, userId],
      P,
    );
  }

  /** `avatarId` undefined: removed (stored as '', which has a WRITETIME where a null has none). */
  async setAvatar(userId: string, avatarId: string | undefined, seq: number): Promise<void> {
    await this.cql.execute(
      'UPDATE profiles_by_user USING TIMESTAMP ? SET avatar_id = ? WHERE user_id = ?',
      [seq, avatarId ?? '', userId],
      P,
    );
  }

  async setPrivacy(
    userId: string,
    avatar: PresenceAudience,
    about: PresenceAudience,
    seq: number,
  ): Promise<void> {
    await this.cql.execute(
      'UPDATE profiles_by_user USING TIMESTAMP ? SET avatar_audience = ?, about_audience = ? WHERE user_id = ?',
      [seq, avatar, about, userId],
      P,
    );
  }

  /** A forgotten user's profile goes entirely (stamped with the UserForgotten sequence). */
  async forget(userId: string, seq: number): Promise<void> {
    await this.cql.execute(
      'DELETE FROM profiles_by_user USING TIMESTAMP ? WHERE user_id = ?',
      [seq, userId],
      P,
    );
  }

  async get(userId: string): Promise<StoredProfile | undefined> {
    const row = (
      await this.cql.execute(
        `SELECT display_name, about, avatar_id, avatar_audience, about_audience,
                WRITETIME(display_name) AS w1, WRITETIME(about) AS w2, WRITETIME(avatar_id) AS w3,
                WRITETIME(avatar_audience) AS w4
         FROM profiles_by_user WHERE user_id = ?`,
        [userId],
        P,
      )
    ).first();
    if (!row) return undefined;
    const displayName = text(row.get('display_name'));
    const avatarId = text(row.get('avatar_id'));
    const version = Math.max(0, ...['w1', 'w2', 'w3', 'w4'].map((w) => Number(row.get(w) ?? 0)));
    return {
      userId,
      version,
      profile: {
        ...(displayName ? { displayName } : {}),
        about: text(row.get('about')) ?? '',
        ...(avatarId ? { avatarId } : {}),
        privacy: {
          avatar: audience(row.get('avatar_audience'), DEFAULT_PROFILE_PRIVACY.avatar),
          about: audience(row.get('about_audience'), DEFAULT_PROFILE_PRIVACY.about),
        },
      },
    };
  }

  /** Records that `changedUserId`'s profile changed (at `seq`) for each of `userIds`; rows live `ttlSeconds`. */
  async recordChange(
    userIds: readonly string[],
    changedUserId: string,
    seq: number,
    ttlSeconds: number,
  ): Promise<void> {
    await Promise.all(
      userIds.map((userId) =>
        this.cql.execute(
          'INSERT INTO profile_changes_by_user (user_id, changed_seq, changed_user_id) VALUES (?, ?, ?) USING TTL ?',
          [userId, seq, changedUserId, ttlSeconds],
          P,
        ),
      ),
    );
  }

  /** The users whose profile changed for `userId` after `since`, oldest first, and the last sequence read. */
  async changesSince(
    userId: string,
    since: number,
    limit: number,
  ): Promise<{ userIds: string[]; last: number; rows: number }> {
    const rs = await this.cql.execute(
      'SELECT changed_seq, changed_user_id FROM profile_changes_by_user WHERE user_id = ? AND changed_seq > ? LIMIT ?',
      [userId, since, limit],
      P,
    );
    let last = since;
    const userIds = new Set<string>();
    for (const r of rs.rows) {
      last = Math.max(last, Number(r.get('changed_seq')));
      userIds.add(r.get('changed_user_id') as string);
    }
    return { userIds: [...userIds], last, rows: rs.rowLength };
  }
}

/** Where an avatar is kept: its own prefix, apart from message media, so deleting one never touches a message's. */
export const avatarKeyOf = (userId: string, avatarId: string): string => `avatars/${userId}/${avatarId}`;
