import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { MediaConfig } from '#libs/config';
import { CLOCK, LOGGER, MetricsService, PeriodicTask, type Clock } from '#libs/platform';
import { MediaStore, STAGING_PREFIX, stagingKeyOf } from '#libs/read-models';
import { ObjectStore } from '#libs/s3';
import { MEDIA } from '../tokens.js';

const BATCH = 500;

/**
 * Deletes media objects nobody needs any more, every MEDIA_SWEEP_INTERVAL_MS: uploads no message
 * referenced within MEDIA_ORPHAN_TTL_SECONDS, and media whose deletion time came (every recipient device
 * fetched a view-once or transient media, or the retention window ended), and staging objects written
 * after their upload completed. Deleting twice is harmless, so
 * several projector instances may sweep at once.
 */
@Injectable()
export class MediaSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly task: PeriodicTask;
  private readonly deleted;

  constructor(
    private readonly media: MediaStore,
    private readonly objects: ObjectStore,
    @Inject(MEDIA) private readonly config: Readonly<MediaConfig>,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) logger: Logger,
    metrics: MetricsService,
  ) {
    this.task = new PeriodicTask('media sweep', config.MEDIA_SWEEP_INTERVAL_MS, () => this.sweep(), logger);
    this.deleted = metrics.counter('chat_media_swept_total', 'Media objects deleted by the sweeper', [
      'reason',
    ]);
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.task.stop();
  }

  async sweep(): Promise<void> {
    const now = this.clock.now();
    const orphanBefore = new Date(now.getTime() - this.config.MEDIA_ORPHAN_TTL_SECONDS * 1000);
    for (const entry of await this.media.unreferencedBefore(orphanBefore, BATCH)) {
      const row = await this.media.get(entry.mediaId);
      if (row && !row.referenced && row.state !== 'deleted') {
        if (row.uploadId) await this.objects.abortMultipart(stagingKeyOf(row.objectKey), row.uploadId);
        await this.objects.delete(stagingKeyOf(row.objectKey));
        await this.objects.delete(row.objectKey);
        await this.media.markDeleted(row.mediaId);
        this.deleted.inc({ reason: 'orphan' });
      }
      await this.media.forgetUnreferenced(entry);
    }
    for (const entry of await this.media.expiredBefore(now, BATCH)) {
      const row = await this.media.get(entry.mediaId);
      // A media also sent as an ordinary (kept) message stays for that message.
      const kept = (await this.media.messages(entry.mediaId)).some((m) => !m.viewOnce && !m.transient);
      if (row && row.state !== 'deleted' && !kept) {
        await this.objects.delete(row.objectKey);
        await this.media.markDeleted(row.mediaId);
        this.deleted.inc({ reason: 'expired' });
      }
      await this.media.forgetExpiry(entry);
    }
    // A staging object outlives its upload only when the device PUT again after completion (the URL
    // stays valid): nothing serves it, and past the orphan age no completion can still want it.
    for (const key of await this.objects.keysOlderThan(STAGING_PREFIX, orphanBefore, BATCH)) {
      await this.objects.delete(key);
      this.deleted.inc({ reason: 'staging' });
    }
  }
}
