import type { CqlClient } from '#libs/cassandra';
import { FORGOTTEN } from '#libs/events';
import { TIMELINE_BUCKET_SIZE } from '../timeline.store.js';
import type { ObjectStore } from '#libs/s3';
import { scrubMedia, scrubMessageJson } from './scrub-message-json.js';

export interface ScrubSummary {
  conversations: number;
  timelineRows: number;
  previews: number;
  inboxEntries: number;
  mediaDeleted: number;
}

/**
 * Scrubs what the projector wrote from a forgotten user's messages before their key was destroyed:
 * timeline bodies, conversation-list previews and pending inbox entries of every member, and the media
 * they uploaded (object and row). Idempotent: a second run finds nothing left to change.
 */
export class ReadModelScrubber {
  readonly summary: ScrubSummary = {
    conversations: 0,
    timelineRows: 0,
    previews: 0,
    inboxEntries: 0,
    mediaDeleted: 0,
  };

  constructor(
    private readonly cql: CqlClient,
    private readonly objects: ObjectStore,
    private readonly partitions: number,
    private readonly progress: (line: string) => void,
  ) {}

  /** `conversationIds`: every conversation the user was ever a member of (from the log). */
  async scrub(userId: string, conversationIds: readonly string[]): Promise<ScrubSummary> {
    const media = new Set<string>();
    for (const conversationId of conversationIds) {
      this.summary.conversations++;
      const { members, lastSeq } = await this.conversation(conversationId);
      await this.timeline(userId, conversationId, lastSeq, media);
      for (const member of members) {
        await this.preview(userId, member, conversationId);
        for (const deviceId of await this.devices(member)) await this.inbox(userId, member, deviceId);
      }
      this.progress(
        `forget: conversation ${this.summary.conversations}/${conversationIds.length} (${conversationId}) scrubbed`,
      );
    }
    await this.media(userId, media);
    return this.summary;
  }

  /** The conversation's members and last message seq, from one read of its row. */
  private async conversation(conversationId: string): Promise<{ members: string[]; lastSeq: number }> {
    const row = (
      await this.cql.execute(
        'SELECT members, last_message_seq FROM conversations WHERE conversation_id = ?',
        [conversationId],
        { prepare: true },
      )
    ).first();
    return {
      members: [...((row?.get('members') as string[] | null) ?? [])],
      lastSeq: Number(row?.get('last_message_seq') ?? 0),
    };
  }

  private async devices(userId: string): Promise<string[]> {
    // The forgotten user's own inboxes were dropped already; the other members' devices are listed here.
    const rs = await this.cql.execute('SELECT device_id FROM devices_by_user WHERE user_id = ?', [userId], {
      prepare: true,
    });
    return rs.rows.map((r) => r.get('device_id') as string);
  }

  private async timeline(
    userId: string,
    conversationId: string,
    last: number,
    media: Set<string>,
  ): Promise<void> {
    for (let bucket = 0; bucket <= Math.floor(last / TIMELINE_BUCKET_SIZE); bucket++) {
      const rs = await this.cql.execute(
        'SELECT seq, sender_user_id, body, media, location FROM messages_by_conversation WHERE conversation_id = ? AND bucket = ?',
        [conversationId, bucket],
        { prepare: true, fetchSize: 1000 },
      );
      for await (const row of rs) {
        if (row.get('sender_user_id') !== userId) continue;
        const body = row.get('body') as string | null;
        const mediaJson = row.get('media') as string | null;
        let scrubbedMedia: string | null = mediaJson;
        if (mediaJson) {
          const ref = JSON.parse(mediaJson) as Record<string, unknown>;
          if (typeof ref.mediaId === 'string') media.add(ref.mediaId);
          const clean = scrubMedia(ref);
          if (clean) scrubbedMedia = JSON.stringify(clean);
        }
        // A location message's point is the sender's too: it goes, and the marker takes its place.
        const located = row.get('location') !== null;
        const bodyDirty = located || (body !== null && body !== '' && body !== FORGOTTEN);
        if (!bodyDirty && scrubbedMedia === mediaJson) continue;
        await this.cql.execute(
          'UPDATE messages_by_conversation SET body = ?, media = ?, location = null WHERE conversation_id = ? AND bucket = ? AND seq = ?',
          [bodyDirty ? FORGOTTEN : body, scrubbedMedia, conversationId, bucket, row.get('seq')],
          { prepare: true },
        );
        this.summary.timelineRows++;
      }
    }
  }

  private async preview(userId: string, member: string, conversationId: string): Promise<void> {
    const row = (
      await this.cql.execute(
        'SELECT last_message FROM conversations_by_user WHERE user_id = ? AND conversation_id = ?',
        [member, conversationId],
        { prepare: true },
      )
    ).first();
    const json = row?.get('last_message') as string | null | undefined;
    const clean = json ? scrubMessageJson(json, userId) : undefined;
    if (!clean) return;
    await this.cql.execute(
      'UPDATE conversations_by_user SET last_message = ? WHERE user_id = ? AND conversation_id = ?',
      [clean, member, conversationId],
      { prepare: true },
    );
    this.summary.previews++;
  }

  private async inbox(userId: string, member: string, deviceId: string): Promise<void> {
    for (let partition = 0; partition < this.partitions; partition++) {
      const rs = await this.cql.execute(
        'SELECT stream_seq, payload FROM inbox_by_device WHERE user_id = ? AND device_id = ? AND partition = ?',
        [member, deviceId, partition],
        { prepare: true, fetchSize: 1000 },
      );
      for await (const row of rs) {
        const clean = scrubMessageJson((row.get('payload') as string | null) ?? '', userId);
        if (!clean) continue;
        await this.cql.execute(
          'UPDATE inbox_by_device SET payload = ? WHERE user_id = ? AND device_id = ? AND partition = ? AND stream_seq = ?',
          [clean, member, deviceId, partition, row.get('stream_seq')],
          { prepare: true },
        );
        this.summary.inboxEntries++;
      }
    }
  }

  /**
   * The objects the user sent, and those they uploaded but never sent. The media table has no index by
   * owner (a media row is found by id), so the latter is a filtered scan: rare, and run by an operator.
   */
  private async media(userId: string, sent: Set<string>): Promise<void> {
    const owned = await this.cql.execute(
      'SELECT media_id FROM media WHERE owner_user_id = ? ALLOW FILTERING',
      [userId],
      { prepare: true, fetchSize: 1000 },
    );
    for await (const row of owned) sent.add(row.get('media_id') as string);
    for (const mediaId of sent) {
      const row = (
        await this.cql.execute(
          'SELECT owner_user_id, object_key, upload_id, state FROM media WHERE media_id = ?',
          [mediaId],
          {
            prepare: true,
          },
        )
      ).first();
      // A forwarded media the user did not upload belongs to its uploader.
      if (!row || row.get('owner_user_id') !== userId) continue;
      const uploadId = row.get('upload_id') as string | null;
      if (uploadId)
        await this.objects.abortMultipart(row.get('object_key') as string, uploadId).catch(() => undefined);
      await this.objects.delete(row.get('object_key') as string);
      await this.cql.execute('DELETE FROM media WHERE media_id = ?', [mediaId], { prepare: true });
      await this.cql.execute('DELETE FROM media_views WHERE media_id = ?', [mediaId], { prepare: true });
      await this.cql.execute('DELETE FROM media_pending_devices WHERE media_id = ?', [mediaId], {
        prepare: true,
      });
      this.summary.mediaDeleted++;
    }
  }
}

/**
 * Every conversation the user is in, and every one they ever sent to (a group they left is no longer
 * in their list, but their messages are still in its timeline). client_messages is keyed by sender and
 * device, so the second is a filtered scan; run by an operator, rarely.
 */
export async function conversationsOf(cql: CqlClient, userId: string): Promise<string[]> {
  const ids = new Set<string>();
  const listed = await cql.execute(
    'SELECT conversation_id FROM conversations_by_user WHERE user_id = ?',
    [userId],
    {
      prepare: true,
      fetchSize: 1000,
    },
  );
  for await (const row of listed) ids.add(row.get('conversation_id') as string);
  const sent = await cql.execute(
    'SELECT conversation_id FROM client_messages WHERE sender_user_id = ? ALLOW FILTERING',
    [userId],
    { prepare: true, fetchSize: 1000 },
  );
  for await (const row of sent) ids.add(row.get('conversation_id') as string);
  return [...ids];
}
