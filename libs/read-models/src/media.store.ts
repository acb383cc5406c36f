import type { CqlClient } from '#libs/cassandra';
import type { MediaKind } from '#libs/protocol';

export type MediaState = 'pending' | 'completed' | 'deleted';

export interface MediaRow {
  readonly mediaId: string;
  readonly ownerUserId: string;
  readonly ownerDeviceId: string;
  readonly kind: MediaKind;
  readonly contentType: string;
  readonly size: number;
  readonly sha256: string;
  readonly objectKey: string;
  readonly uploadId?: string;
  readonly encrypted: boolean;
  readonly state: MediaState;
  readonly createdAt: Date;
  readonly referenced: boolean;
  /** While pending: when a completion claimed the upload (claimCompletion); once completed: when it was. */
  readonly completedAt?: Date;
}

/** Where the device's presigned upload lands: verified there, then copied to `objectKey` by the server. */
export const STAGING_PREFIX = 'staging/';
export const stagingKeyOf = (objectKey: string): string => `${STAGING_PREFIX}${objectKey}`;

export interface MediaMessageRow {
  readonly conversationId: string;
  readonly messageId: string;
  readonly senderUserId: string;
  readonly senderDeviceId: string;
  readonly viewOnce: boolean;
  readonly transient: boolean;
}

/** Shards of the sweeper's time-ordered tables: enough to spread writes, few enough to scan each run. */
export const MEDIA_SHARDS = 8;
export function mediaShard(mediaId: string): number {
  let h = 0;
  for (const c of mediaId) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h % MEDIA_SHARDS;
}

/** Media records (tables of migration 004): uploads, where each was sent, views and pending deletions. */
export class MediaStore {
  constructor(private readonly cql: CqlClient) {}

  async createPending(m: Omit<MediaRow, 'state' | 'referenced'>): Promise<void> {
    await this.cql.execute(
      'INSERT INTO media (media_id, owner_user_id, owner_device_id, kind, content_type, size, sha256, object_key, upload_id, encrypted, state, created_at, referenced) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [
        m.mediaId,
        m.ownerUserId,
        m.ownerDeviceId,
        m.kind,
        m.contentType,
        m.size,
        m.sha256,
        m.objectKey,
        m.uploadId ?? null,
        m.encrypted,
        'pending',
        m.createdAt,
        false,
      ],
    );
    await this.cql.execute('INSERT INTO media_unreferenced (shard, created_at, media_id) VALUES (?, ?, ?)', [
      mediaShard(m.mediaId),
      m.createdAt,
      m.mediaId,
    ]);
  }

  async get(mediaId: string): Promise<MediaRow | undefined> {
    const row = (await this.cql.execute('SELECT * FROM media WHERE media_id = ?', [mediaId])).first();
    if (!row) return undefined;
    const uploadId = row.get('upload_id') as string | null;
    const completedAt = row.get('completed_at') as Date | null;
    return {
      mediaId,
      ownerUserId: row.get('owner_user_id') as string,
      ownerDeviceId: row.get('owner_device_id') as string,
      kind: row.get('kind') as MediaKind,
      contentType: row.get('content_type') as string,
      size: Number(row.get('size')),
      sha256: row.get('sha256') as string,
      objectKey: row.get('object_key') as string,
      ...(uploadId ? { uploadId } : {}),
      encrypted: row.get('encrypted') === true,
      state: row.get('state') as MediaState,
      createdAt: row.get('created_at') as Date,
      referenced: row.get('referenced') === true,
      ...(completedAt ? { completedAt } : {}),
    };
  }

  /**
   * One completion at a time copies and verifies an upload: compare-and-set of completed_at from the value
   * the caller read (none, or a stale claim of a completion that died) to now.
   */
  async claimCompletion(mediaId: string, seen: Date | undefined, at: Date): Promise<boolean> {
    const rs = await this.cql.execute(
      "UPDATE media SET completed_at = ? WHERE media_id = ? IF state = 'pending' AND completed_at = ?",
      [at, mediaId, seen ?? null],
    );
    return rs.wasApplied();
  }

  /** Gives a claim back (the upload was not there yet): the next completion need not wait for it to age. */
  async releaseCompletion(mediaId: string, claimedAt: Date): Promise<void> {
    await this.cql.execute(
      "UPDATE media SET completed_at = null WHERE media_id = ? IF state = 'pending' AND completed_at = ?",
      [mediaId, claimedAt],
    );
  }

  /** pending -> completed, once: a lightweight transaction so two confirmations cannot both win. */
  async markCompleted(mediaId: string, at: Date): Promise<boolean> {
    const rs = await this.cql.execute(
      "UPDATE media SET state = 'completed', completed_at = ? WHERE media_id = ? IF state = 'pending'",
      [at, mediaId],
    );
    return rs.wasApplied();
  }

  async markDeleted(mediaId: string): Promise<void> {
    await this.cql.execute("UPDATE media SET state = 'deleted' WHERE media_id = ?", [mediaId]);
  }

  /** A message referenced the media: record where, and take it off the sweeper's orphan list. */
  async recordMessage(mediaId: string, createdAt: Date, m: MediaMessageRow): Promise<void> {
    await this.cql.execute(
      'INSERT INTO media_messages (media_id, conversation_id, message_id, sender_user_id, sender_device_id, view_once, transient) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [mediaId, m.conversationId, m.messageId, m.senderUserId, m.senderDeviceId, m.viewOnce, m.transient],
    );
    await this.cql.execute('UPDATE media SET referenced = true WHERE media_id = ?', [mediaId]);
    await this.cql.execute(
      'DELETE FROM media_unreferenced WHERE shard = ? AND created_at = ? AND media_id = ?',
      [mediaShard(mediaId), createdAt, mediaId],
    );
  }

  /** The message was deleted for everyone: it no longer keeps the media (nor lets anyone download it). */
  async forgetMessage(mediaId: string, conversationId: string, messageId: string): Promise<void> {
    await this.cql.execute(
      'DELETE FROM media_messages WHERE media_id = ? AND conversation_id = ? AND message_id = ?',
      [mediaId, conversationId, messageId],
    );
  }

  async messages(mediaId: string): Promise<MediaMessageRow[]> {
    const rs = await this.cql.execute('SELECT * FROM media_messages WHERE media_id = ?', [mediaId]);
    return rs.rows.map((r) => ({
      conversationId: r.get('conversation_id') as string,
      messageId: String(r.get('message_id')),
      senderUserId: r.get('sender_user_id') as string,
      senderDeviceId: r.get('sender_device_id') as string,
      viewOnce: r.get('view_once') === true,
      transient: r.get('transient') === true,
    }));
  }

  async addPendingDevices(
    mediaId: string,
    messageId: string,
    devices: ReadonlyArray<{ userId: string; deviceId: string }>,
  ): Promise<void> {
    await Promise.all(
      devices.map((d) =>
        this.cql.execute(
          'INSERT INTO media_pending_devices (media_id, message_id, user_id, device_id) VALUES (?, ?, ?, ?)',
          [mediaId, messageId, d.userId, d.deviceId],
        ),
      ),
    );
  }

  /** Takes a device off the pending list; answers how many devices of any message still wait. */
  async devicePickedUp(
    mediaId: string,
    messageId: string,
    userId: string,
    deviceId: string,
  ): Promise<number> {
    await this.cql.execute(
      'DELETE FROM media_pending_devices WHERE media_id = ? AND message_id = ? AND user_id = ? AND device_id = ?',
      [mediaId, messageId, userId, deviceId],
    );
    const rs = await this.cql.execute('SELECT COUNT(*) AS n FROM media_pending_devices WHERE media_id = ?', [
      mediaId,
    ]);
    return Number(rs.first()?.get('n') ?? 0);
  }

  /** The first open of a view-once message by a device wins; later ones answer false. */
  async openOnce(mediaId: string, messageId: string, deviceId: string, at: Date): Promise<boolean> {
    const rs = await this.cql.execute(
      'INSERT INTO media_views (media_id, message_id, device_id, opened_at) VALUES (?, ?, ?, ?) IF NOT EXISTS',
      [mediaId, messageId, deviceId, at],
    );
    return rs.wasApplied();
  }

  async scheduleExpiry(mediaId: string, at: Date): Promise<void> {
    await this.cql.execute('INSERT INTO media_expiry (shard, expires_at, media_id) VALUES (?, ?, ?)', [
      mediaShard(mediaId),
      at,
      mediaId,
    ]);
  }

  /** Uploads created before `before` that no message referenced, oldest first. */
  async unreferencedBefore(
    before: Date,
    limit: number,
  ): Promise<Array<{ shard: number; createdAt: Date; mediaId: string }>> {
    const out: Array<{ shard: number; createdAt: Date; mediaId: string }> = [];
    for (let shard = 0; shard < MEDIA_SHARDS; shard++) {
      const rs = await this.cql.execute(
        'SELECT created_at, media_id FROM media_unreferenced WHERE shard = ? AND created_at < ? LIMIT ?',
        [shard, before, limit],
      );
      for (const r of rs.rows)
        out.push({ shard, createdAt: r.get('created_at') as Date, mediaId: r.get('media_id') as string });
    }
    return out;
  }

  async forgetUnreferenced(e: { shard: number; createdAt: Date; mediaId: string }): Promise<void> {
    await this.cql.execute(
      'DELETE FROM media_unreferenced WHERE shard = ? AND created_at = ? AND media_id = ?',
      [e.shard, e.createdAt, e.mediaId],
    );
  }

  async expiredBefore(
    before: Date,
    limit: number,
  ): Promise<Array<{ shard: number; expiresAt: Date; mediaId: string }>> {
    const out: Array<{ shard: number; expiresAt: Date; mediaId: string }> = [];
    for (let shard = 0; shard < MEDIA_SHARDS; shard++) {
      const rs = await this.cql.execute(
        'SELECT expires_at, media_id FROM media_expiry WHERE shard = ? AND expires_at < ? LIMIT ?',
        [shard, before, limit],
      );
      for (const r of rs.rows)
        out.push({ shard, expiresAt: r.get('expires_at') as Date, mediaId: r.get('media_id') as string });
    }
    return out;
  }

  async forgetExpiry(e: { shard: number; expiresAt: Date; mediaId: string }): Promise<void> {
    await this.cql.execute('DELETE FROM media_expiry WHERE shard = ? AND expires_at = ? AND media_id = ?', [
      e.shard,
      e.expiresAt,
      e.mediaId,
    ]);
  }
}
