import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { CASSANDRA_CLIENT, type CqlClient } from '#libs/cassandra';
import type { RetentionConfig } from '#libs/config';
import { PersonalDataVault, type ChatEvent } from '#libs/events';
import { NatsClient, type StoredMessage } from '#libs/nats';
import { LOGGER, MetricsService } from '#libs/platform';
import {
  conversationProjectionAt,
  MediaLinksRecorder,
  MediaLinksUntouched,
  NoFanOut,
  type ConversationProjection,
  type ConversationProjectionDeps,
} from '#libs/projections';
import { DeviceStore, GroupAggregateStore, MediaStore, ReadModelVersions } from '#libs/read-models';
import { RETENTION } from '../tokens.js';
import { FanOut } from './fan-out.js';

/**
 * The conversation projection at the version of the conversations read model that readers use
 * (`read_model_versions`, re-read within refreshMs), and, while `chatctl rebuild conversations` hands
 * over, at the version it also names (`also_written`), without delivering anything there. Each
 * projection is pinned to one version, so an event is applied to a version whole; a projection new to
 * a version catches each conversation up from the log the first time it sees it, so what an earlier
 * one applied elsewhere is not skipped by this version's applied_sequence.
 */
@Injectable()
export class LiveConversationProjection {
  private readonly delivering: ConversationProjectionDeps;
  private readonly silent: ConversationProjectionDeps;
  private readonly projections = new Map<string, ConversationProjection>();
  private primary?: ConversationProjection;

  constructor(
    nats: NatsClient,
    @Inject(CASSANDRA_CLIENT) cql: CqlClient,
    fanOut: FanOut,
    media: MediaStore,
    devices: DeviceStore,
    private readonly versions: ReadModelVersions,
    vault: PersonalDataVault<ChatEvent>,
    @Inject(RETENTION) retention: Readonly<RetentionConfig>,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: MetricsService,
  ) {
    const mediaLinks = new MediaLinksRecorder(media, devices, retention, logger);
    this.delivering = {
      nats,
      cql,
      fanOut,
      mediaLinks,
      vault,
      retention,
      logger,
      metrics,
      groupAggregates: new GroupAggregateStore(cql),
    };
    const { groupAggregates: _deliveringOnly, ...silent } = this.delivering;
    this.silent = { ...silent, fanOut: new NoFanOut(), mediaLinks: new MediaLinksUntouched() };
  }

  keyOf(msg: StoredMessage): string {
    this.primary ??= this.at(1, true);
    return this.primary.keyOf(msg);
  }

  afterKeyOf(msg: StoredMessage): string | undefined {
    this.primary ??= this.at(1, true);
    return this.primary.afterKeyOf(msg);
  }

  async handle(msg: StoredMessage): Promise<void> {
    const { version, alsoWritten } = await this.versions.written('conversations');
    const also = alsoWritten !== undefined && alsoWritten !== version ? alsoWritten : undefined;
    this.forgetAllBut([key(version, true), ...(also === undefined ? [] : [key(also, false)])]);
    this.primary = this.at(version, true);
    // The silent version first: once a device has a message, a reader on either version finds it
    // (a read receipt for it, say, while readers switch).
    if (also !== undefined) await this.at(also, false).handle(msg);
    await this.primary.handle(msg);
  }

  /**
   * A projection no longer in use is dropped, not kept: while it was idle its version may have been
   * written by another (or not at all), so its memory of caught-up conversations would be wrong.
   */
  private forgetAllBut(keys: readonly string[]): void {
    for (const k of this.projections.keys()) if (!keys.includes(k)) this.projections.delete(k);
  }

  private at(version: number, delivering: boolean): ConversationProjection {
    let projection = this.projections.get(key(version, delivering));
    if (!projection) {
      this.logger.info({ version, delivering }, 'conversation projection for a read model version');
      projection = conversationProjectionAt(version, delivering ? this.delivering : this.silent);
      this.projections.set(key(version, delivering), projection);
    }
    return projection;
  }
}

const key = (version: number, delivering: boolean): string =>
  `${version}/${delivering ? 'delivering' : 'silent'}`;
