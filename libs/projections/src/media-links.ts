import type { Logger } from 'pino';
import type { RetentionConfig } from '#libs/config';
import type { MessageSent } from '#libs/events';
import type { DeviceStore, MediaStore } from '#libs/read-models';

export type MediaContent = Extract<MessageSent['data']['content'], { type: 'media' }>;

/**
 * What a media message does to the media's lifecycle rows: where it was sent (who may download it),
 * which devices a view-once or transient object waits for, when it must be gone. The projector records
 * them ({@link MediaLinksRecorder}); a rebuild leaves them alone, since they are not part of the
 * conversations read model and replaying would make opened view-once media pending again.
 */
export abstract class MediaLinks {
  abstract messageSent(members: readonly string[], event: MessageSent, content: MediaContent): Promise<void>;
  /**
   * A message was deleted for everyone: it stops referencing the media, and the object is due for the
   * sweeper, which deletes it unless another kept message still references it.
   */
  abstract messageDeleted(
    conversationId: string,
    messageId: string,
    mediaId: string,
    at: Date,
  ): Promise<void>;
  /** An E2E message pointing to encrypted uploads: its members may download them (never view-once). */
  abstract e2eMediaSent(event: MessageSent, mediaIds: readonly string[]): Promise<void>;
}

export class MediaLinksRecorder extends MediaLinks {
  constructor(
    private readonly media: MediaStore,
    private readonly devices: DeviceStore,
    private readonly retention: Readonly<RetentionConfig>,
    private readonly logger: Logger,
  ) {
    super();
  }

  async e2eMediaSent(event: MessageSent, mediaIds: readonly string[]): Promise<void> {
    const d = event.data;
    for (const mediaId of mediaIds) {
      const row = await this.media.get(mediaId);
      if (!row) {
        this.logger.error({ mediaId }, 'MessageSent names unknown media');
        continue;
      }
      await this.media.recordMessage(mediaId, row.createdAt, {
        conversationId: d.conversationId,
        messageId: d.messageId,
        senderUserId: d.senderUserId,
        senderDeviceId: d.senderDeviceId,
        viewOnce: false,
        transient: this.retention.RETENTION_MODE === 'transient',
      });
    }
  }

  /** Records where the media was sent; view-once and transient media wait for each recipient device. */
  async messageSent(members: readonly string[], event: MessageSent, content: MediaContent): Promise<void> {
    const d = event.data;
    const row = await this.media.get(content.mediaId);
    if (!row) return this.logger.error({ mediaId: content.mediaId }, 'MessageSent names unknown media');
    const transient = this.retention.RETENTION_MODE === 'transient';
    await this.media.recordMessage(content.mediaId, row.createdAt, {
      conversationId: d.conversationId,
      messageId: d.messageId,
      senderUserId: d.senderUserId,
      senderDeviceId: d.senderDeviceId,
      viewOnce: content.viewOnce,
      transient,
    });
    if (!content.viewOnce && !transient) return;
    const devices = (
      await Promise.all(
        members.map(async (userId) =>
          (await this.devices.list(userId)).map((dev) => ({ userId, deviceId: dev.deviceId })),
        ),
      )
    )
      .flat()
      .filter((dev) => dev.deviceId !== d.senderDeviceId);
    await this.media.addPendingDevices(content.mediaId, d.messageId, devices);
    const window = this.retention.RETENTION_WINDOW_SECONDS * 1000;
    await this.media.scheduleExpiry(content.mediaId, new Date(new Date(d.sentAt).getTime() + window));
  }

  async messageDeleted(conversationId: string, messageId: string, mediaId: string, at: Date): Promise<void> {
    await this.media.forgetMessage(mediaId, conversationId, messageId);
    await this.media.scheduleExpiry(mediaId, at);
  }
}
