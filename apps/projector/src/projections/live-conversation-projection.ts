import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { CASSANDRA_CLIENT, type CqlClient } from '#libs/cassandra';
import type { RetentionConfig } from '#libs/config';
import { parseConversationSubject, PersonalDataVault, type ChatEvent } from '#libs/events';
import { NatsClient, type StoredMessage } from '#libs/nats';
import { LOGGER, MetricsService } from '#libs/platform';
import {
  conversationProjectionAt,
  InboxRedaction,
  MediaLinksRecorder,
  MediaLinksUntouched,
  NoFanOut,
  type ConversationProjection,
  type ConversationProjectionDeps,
} from '#libs/projections';
import {
  DeviceStore,
  GroupAggregateStore,
  MediaStore,
  MessageExpiryStore,
  ReadModelVersions,
} from '#libs/read-models';
import { FencedFanOut } from '../partitions/fenced-fan-out.js';
import { PartitionFence } from '../partitions/partition-fence.js';
import { RETENTION } from '../tokens.js';
import { FanOut } from './fan-out.js';

/**
 * The conversation projection (one instance per stream partition, so a partition handed over and taken
 * back is forgotten alone) at the version of the conversations read model that readers use
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
  /** Per partition, this tenure of its lease: the instances of the partition write through it. */
  private readonly fences = new Map<number, PartitionFence>();
  private primary?: ConversationProjection;
  /** The read model version the last handle/handleBatch delivered at: where a head start publishes. */
  private version = 1;
  /** A rebuild's version is written beside the readers' one (as of the last event handled). */
  private handingOver = false;
  private readonly topology: NatsClient['topology'];

  constructor(
    nats: NatsClient,
    @Inject(CASSANDRA_CLIENT) private readonly cql: CqlClient,
    fanOut: FanOut,
    media: MediaStore,
    private readonly devices: DeviceStore,
    private readonly versions: ReadModelVersions,
    vault: PersonalDataVault<ChatEvent>,
    @Inject(RETENTION) retention: Readonly<RetentionConfig>,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: MetricsService,
  ) {
    this.topology = nats.topology;
    const mediaLinks = new MediaLinksRecorder(media, devices, retention, logger);
    // The Cassandra client and the fan-out of an instance are its partition's fenced ones (depsAt).
    this.delivering = { nats, cql, fanOut, mediaLinks, vault, retention, logger, metrics };
    this.silent = { ...this.delivering, fanOut: new NoFanOut(), mediaLinks: new MediaLinksUntouched() };
  }

  keyOf(msg: StoredMessage): string {
    this.primary ??= this.at(1, true, this.partitionOf(msg));
    return this.primary.keyOf(msg);
  }

  afterKeyOf(msg: StoredMessage): string | undefined {
    this.primary ??= this.at(1, true, this.partitionOf(msg));
    return this.primary.afterKeyOf(msg);
  }

  async handle(msg: StoredMessage): Promise<void> {
    const { version, alsoWritten } = await this.versions.written('conversations');
    const also = alsoWritten !== undefined && alsoWritten !== version ? alsoWritten : undefined;
    this.forgetAllBut([mode(version, true), ...(also === undefined ? [] : [mode(also, false)])]);
    const partition = this.partitionOf(msg);
    this.version = version;
    this.handingOver = also !== undefined;
    this.primary = this.at(version, true, partition);
    // The silent version first: once a device has a message, a reader on either version finds it
    // (a read receipt for it, say, while readers switch).
    if (also !== undefined) await this.at(also, false, partition).handle(msg);
    await this.primary.handle(msg);
  }

  /** The head start (publishing live ahead of the writes) is the delivering projection's alone. */
  prepare(msg: StoredMessage, caughtUp: boolean): Promise<boolean> {
    // The instance of the message's own partition, so the head start and the writes that follow it
    // share one projection's memory of the conversation.
    return this.at(this.version, true, this.partitionOf(msg)).prepare(msg, caughtUp);
  }

  /**
   * Whether a receipt may follow its messages' head starts (DurableConsumer afterPrepared): not while
   * a rebuild's version is also written, whose silent projection applies messages only in their waves
   * and would find a receipt's message missing. (Events from before this process learned of the
   * hand-over are the rebuild's own replay's to write.)
   */
  receiptsMayRunAhead(): boolean {
    return !this.handingOver;
  }

  /** Events of one conversation handed over together: folded where the projection can. */
  async handleBatch(msgs: readonly StoredMessage[]): Promise<void> {
    const { version, alsoWritten } = await this.versions.written('conversations');
    const also = alsoWritten !== undefined && alsoWritten !== version ? alsoWritten : undefined;
    this.forgetAllBut([mode(version, true), ...(also === undefined ? [] : [mode(also, false)])]);
    const partition = this.partitionOf(msgs[0]!);
    this.version = version;
    this.handingOver = also !== undefined;
    this.primary = this.at(version, true, partition);
    if (also !== undefined) await this.at(also, false, partition).handleBatch(msgs);
    await this.primary.handleBatch(msgs);
  }

  /**
   * Drops what this process cached of a partition's conversations (the projection instances of that
   * partition): it takes the partition's lease, and another projector may have applied it meanwhile. The
   * next event of each conversation reloads it and catches it up from the log. Each partition has its
   * own instances, so this never touches the conversations of partitions that keep running here (two
   * instances applying one conversation at once would each compute its group aggregates).
   */
  forgetPartition(partition: number): void {
    for (const k of this.projections.keys()) if (k.endsWith(`/${partition}`)) this.projections.delete(k);
    this.fences.delete(partition); // the next tenure writes through a fence of its own
  }

  /**
   * The partition's lease may be another projector's now: from here on its instances write and publish
   * nothing (PartitionFence), whatever they still have in flight.
   */
  fencePartition(partition: number): void {
    this.fences.get(partition)?.close();
  }

  /** The stream partition an event belongs to (from its subject; -1 for one that is not a conversation's). */
  private partitionOf(msg: StoredMessage): number {
    return parseConversationSubject(this.topology, msg.subject)?.partition ?? -1;
  }

  /**
   * A projection no longer in use is dropped, not kept: while it was idle its version may have been
   * written by another (or not at all), so its memory of caught-up conversations would be wrong.
   */
  private forgetAllBut(modes: readonly string[]): void {
    for (const k of this.projections.keys())
      if (!modes.includes(k.slice(0, k.lastIndexOf('/')))) this.projections.delete(k);
  }

  private at(version: number, delivering: boolean, partition: number): ConversationProjection {
    const k = `${mode(version, delivering)}/${partition}`;
    let projection = this.projections.get(k);
    if (!projection) {
      this.logger.info(
        { version, delivering, partition },
        'conversation projection for a read model version',
      );
      projection = conversationProjectionAt(version, this.depsAt(delivering, partition));
      this.projections.set(k, projection);
    }
    return projection;
  }

  /** The dependencies of one partition's instance: every write and publish goes through its fence. */
  private depsAt(delivering: boolean, partition: number): ConversationProjectionDeps {
    let fence = this.fences.get(partition);
    if (!fence) {
      fence = new PartitionFence(partition);
      this.fences.set(partition, fence);
    }
    const cql = fence.guard(this.cql);
    if (!delivering) return { ...this.silent, cql };
    return {
      ...this.delivering,
      cql,
      fanOut: new FencedFanOut(this.delivering.fanOut, fence),
      groupAggregates: new GroupAggregateStore(cql),
      inboxRedaction: new InboxRedaction(cql, this.devices),
      expiries: new MessageExpiryStore(cql),
    };
  }
}

const mode = (version: number, delivering: boolean): string =>
  `${version}/${delivering ? 'delivering' : 'silent'}`;
