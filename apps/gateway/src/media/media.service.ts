import { randomBytes } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { ConversationCommandHandler } from '#libs/nats';
import type { MediaConfig } from '#libs/config';
import { isMember, type MediaFacts } from '#libs/domain';
import type { Logger } from 'pino';
import { CLOCK, LOGGER, type Clock } from '#libs/platform';
import type { MediaKind, UploadSlot } from '#libs/protocol';
import { MediaStore, stagingKeyOf } from '#libs/read-models';
import { ObjectStore } from '#libs/s3';
import type { DeviceIdentity } from '../auth/token.service.js';
import { ApiError } from '../http/api-error.js';
import { MEDIA_CONFIG } from '../tokens.js';
import { downloadResponse } from './file-name.js';
import type { CompleteUploadDto, CreateUploadDto } from './media.dto.js';
import { allowedTypesOf, maxBytes, typeAllowed } from './media-types.js';
import { UploadVerifier } from './upload-verifier.js';
import { requireMember } from '../conversations/member-access.js';

/** `media/<kind>/<mediaId>`: one prefix per kind, so lifecycle rules can treat kinds apart (docs/operations.md). */
export const objectKeyOf = (kind: MediaKind, mediaId: string): string => `media/${kind}/${mediaId}`;

/** How long a completion's claim holds off others: well beyond hashing 100 MB on a slow store. */
const COMPLETION_CLAIM_MS = 120_000;

/**
 * The command side of media: upload slots, completion (size, SHA-256 and real type checked on the stored
 * object), download URLs with membership and view-once rules, and the facts a media message is decided on.
 */
@Injectable()
export class MediaService implements OnModuleInit {
  private readonly verifier: UploadVerifier;

  constructor(
    private readonly media: MediaStore,
    private readonly objects: ObjectStore,
    private readonly conversations: ConversationCommandHandler,
    @Inject(MEDIA_CONFIG) private readonly config: Readonly<MediaConfig>,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.verifier = new UploadVerifier(objects, media, config.MEDIA_MAX_VIDEO_SECONDS);
  }

  /** The longest video a message may declare (MEDIA_MAX_VIDEO_SECONDS). */
  get maxVideoSeconds(): number {
    return this.config.MEDIA_MAX_VIDEO_SECONDS;
  }

  /** Creates the bucket when missing; S3 being down must not stop the chat, so this only warns. */
  async onModuleInit(): Promise<void> {
    try {
      await this.objects.ensureBucket();
    } catch (err) {
      this.logger.warn({ err }, 'media bucket not checked: S3 unreachable; media routes fail until it is');
    }
  }

  async createSlot(me: DeviceIdentity, req: CreateUploadDto): Promise<UploadSlot> {
    // End-to-end encrypted bytes are the client's business (issue 17): no type check, the size limit holds.
    if (req.encrypted !== true && !typeAllowed(req.kind, req.contentType)) {
      throw new ApiError('MEDIA_TYPE_NOT_ALLOWED', `${req.contentType} is not allowed for ${req.kind}`, {
        kind: req.kind,
        contentType: req.contentType,
        allowed: allowedTypesOf(req.kind),
      });
    }
    const limit = maxBytes(req.kind, this.config);
    if (req.size > limit) {
      throw new ApiError(
        'MEDIA_TOO_LARGE',
        `a ${req.kind} may have at most ${limit} bytes; this has ${req.size}`,
        {
          kind: req.kind,
          size: req.size,
          limit,
        },
      );
    }
    const mediaId = randomBytes(16).toString('base64url');
    const key = objectKeyOf(req.kind, mediaId);
    // The device writes only to the staging key; the key we serve is written by completion alone.
    const staging = stagingKeyOf(key);
    const ttl = this.config.MEDIA_UPLOAD_URL_TTL_SECONDS;
    const partSize = this.config.MEDIA_MULTIPART_PART_BYTES;
    const multipart = req.size > partSize;
    const uploadId = multipart ? await this.objects.createMultipart(staging, req.contentType) : undefined;
    await this.media.createPending({
      mediaId,
      ownerUserId: me.userId,
      ownerDeviceId: me.deviceId,
      kind: req.kind,
      contentType: req.contentType,
      size: req.size,
      sha256: req.sha256,
      objectKey: key,
      ...(uploadId ? { uploadId } : {}),
      encrypted: req.encrypted === true,
      createdAt: this.clock.now(),
    });
    if (!uploadId) {
      return {
        mediaId,
        method: 'PUT',
        url: await this.objects.presignExactPut(staging, req.contentType, req.size, ttl),
        headers: { 'content-type': req.contentType, 'content-length': String(req.size) },
        expiresInSeconds: ttl,
      };
    }
    const count = Math.ceil(req.size / partSize);
    const parts = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const size = Math.min(partSize, req.size - i * partSize);
        return {
          partNumber: i + 1,
          size,
          url: await this.objects.presignPart(staging, uploadId, i + 1, size, ttl),
        };
      }),
    );
    return { mediaId, method: 'MULTIPART', partSize, parts, expiresInSeconds: ttl };
  }

  /** Checks the stored bytes against the declaration; a mismatch deletes them and the slot is spent. */
  async complete(
    me: DeviceIdentity,
    mediaId: string,
    req: CompleteUploadDto,
  ): Promise<{ mediaId: string; kind: MediaKind; size: number; contentType: string; sha256: string }> {
    const row = await this.media.get(mediaId);
    if (!row || row.ownerUserId !== me.userId)
      throw new ApiError('NOT_FOUND', `no upload ${mediaId} of yours`);
    const answer = {
      mediaId,
      kind: row.kind,
      size: row.size,
      contentType: row.contentType,
      sha256: row.sha256,
    };
    if (row.state === 'completed') return answer;
    if (row.state === 'deleted')
      throw new ApiError('MEDIA_GONE', 'this upload was refused or expired; ask for a new slot');
    const now = this.clock.now();
    const busy = row.completedAt && now.getTime() - row.completedAt.getTime() < COMPLETION_CLAIM_MS;
    if (busy || !(await this.media.claimCompletion(mediaId, row.completedAt, now)))
      throw new ApiError('MEDIA_NOT_READY', 'a completion of this upload is under way; ask again shortly');
    try {
      await this.verifier.copyAndVerify(row, req.parts);
    } catch (err) {
      // Not there yet, or S3 failed: the next completion may go at once (a refused upload is deleted).
      await this.media.releaseCompletion(mediaId, now);
      throw err;
    }
    await this.media.markCompleted(mediaId, this.clock.now());
    return answer;
  }

  /** A short-lived GET URL for a member of a conversation in which the media was sent. */
  async downloadUrl(
    me: DeviceIdentity,
    mediaId: string,
    conversationId: string,
    messageId: string,
  ): Promise<{ url: string; expiresInSeconds: number; viewOnce: boolean }> {
    const { state } = await this.conversations.load(conversationId);
    requireMember(state, me.userId);
    const sent = (await this.media.messages(mediaId)).find(
      (m) => m.conversationId === conversationId && m.messageId === messageId,
    );
    if (!sent)
      throw new ApiError(
        'NOT_FOUND',
        `message ${messageId} of this conversation carries no media ${mediaId}`,
      );
    const row = await this.media.get(mediaId);
    if (!row || row.state === 'deleted') throw new ApiError('MEDIA_GONE', 'this media was deleted');
    // A view-once open gets one fetch window, not the minutes an ordinary download URL lives.
    const ttl = sent.viewOnce
      ? this.config.MEDIA_VIEW_ONCE_URL_TTL_SECONDS
      : this.config.MEDIA_DOWNLOAD_URL_TTL_SECONDS;
    const now = this.clock.now();
    if (sent.viewOnce) {
      if (me.deviceId === sent.senderDeviceId)
        throw new ApiError('FORBIDDEN', 'view-once media is not reopened by the device that sent it');
      if (!(await this.media.openOnce(mediaId, messageId, me.deviceId, now)))
        throw new ApiError('MEDIA_GONE', 'this view-once media was already opened on this device');
    }
    if (sent.viewOnce || sent.transient) {
      const waiting = await this.media.devicePickedUp(mediaId, messageId, me.userId, me.deviceId);
      // The last device got its URL: the sweeper deletes the object once that URL has expired.
      if (waiting === 0) await this.media.scheduleExpiry(mediaId, new Date(now.getTime() + ttl * 1000));
    }
    return {
      url: await this.objects.presignGet(row.objectKey, ttl, downloadResponse(row)),
      expiresInSeconds: ttl,
      viewOnce: sent.viewOnce,
    };
  }

  /** What the decider needs about a media id named by a message. */
  async factsFor(userId: string, mediaId: string): Promise<MediaFacts> {
    const row = await this.media.get(mediaId);
    if (!row)
      return {
        mediaId,
        state: 'missing',
        accessible: false,
        kind: 'document',
        size: 0,
        contentType: '',
        sha256: '',
      };
    // An unreferenced upload about to be swept is not offered to a new message: the sweeper could delete
    // it between this decision and the projector recording the reference.
    const ttlMs = this.config.MEDIA_ORPHAN_TTL_SECONDS * 1000;
    const nearlySwept =
      !row.referenced &&
      this.clock.now().getTime() - row.createdAt.getTime() > ttlMs - Math.min(60_000, ttlMs / 4);
    const facts = {
      mediaId,
      state: nearlySwept ? ('deleted' as const) : row.state,
      kind: row.kind,
      size: row.size,
      contentType: row.contentType,
      sha256: row.sha256,
    };
    if (row.ownerUserId === userId) return { ...facts, accessible: true };
    // Forwarding: a member of a conversation where it was sent (not as view-once) may send it on.
    for (const m of await this.media.messages(mediaId)) {
      if (m.viewOnce) continue;
      if (isMember((await this.conversations.load(m.conversationId)).state, userId))
        return { ...facts, accessible: true };
    }
    return { ...facts, accessible: false };
  }
}
