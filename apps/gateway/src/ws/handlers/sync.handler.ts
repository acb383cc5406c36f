import { Inject } from '@nestjs/common';
import type { ICommandHandler } from '@nestjs/cqrs';
import type { Requests } from '#libs/protocol';
import type { Logger } from 'pino';
import { NatsClient } from '#libs/nats';
import { LOGGER } from '#libs/platform';
import { encodeCursor, InboxStore, parseCursor } from '#libs/read-models';
import type { MessagingConfig } from '../../gateway.config.js';
import { ApiError } from '../../http/api-error.js';
import { MESSAGING_CONFIG } from '../../tokens.js';
import { SyncDto } from '../frames.dto.js';
import { InboxBacklog } from '../inbox-backlog.js';
import { LiveBacklogNotPersisted, LiveSessions } from '../live-sessions.js';
import { SyncSessions } from '../sync-sessions.js';
import { FrameCommand, FrameHandler } from '../frame-handler.js';

type SyncResult = { cursor: string; count: number; complete: boolean };

/**
 * Sends the device's pending inbox entries, from the floor the server keeps for it, a window at a time
 * (InboxBacklog). The cursor a client sends is checked but never makes the server skip an entry: only
 * the server knows which entries above the floor the device acknowledged. A sync while this
 * connection's backlog is still going out is coalesced with it: nothing is pushed twice.
 */
export class SyncCommand extends FrameCommand<SyncDto, Requests['sync']['result']> {}

@FrameHandler(SyncCommand, { sync: SyncDto })
export class SyncHandler implements ICommandHandler<SyncCommand> {
  constructor(
    private readonly inbox: InboxStore,
    private readonly nats: NatsClient,
    private readonly sessions: SyncSessions,
    private readonly live: LiveSessions,
    @Inject(MESSAGING_CONFIG) private readonly config: Readonly<MessagingConfig>,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async execute({ conn, data }: SyncCommand): Promise<SyncResult> {
    if (data.cursor !== undefined && !parseCursor(data.cursor))
      throw new ApiError('VALIDATION_FAILED', 'cursor: must be a cursor returned by the server');
    const floor = await this.inbox.cursor(conn.userId, conn.deviceId);
    const running = this.sessions.of(conn);
    if (running && !running.complete)
      return { cursor: encodeCursor(floor), count: running.count, complete: false };
    await this.settled(conn);
    const backlog = new InboxBacklog(
      conn,
      this.inbox,
      floor,
      { partitions: this.nats.topology.partitions, window: this.config.SYNC_WINDOW },
      this.logger,
    );
    this.sessions.set(conn, backlog);
    try {
      await backlog.start();
    } catch (err) {
      this.sessions.delete(conn, backlog);
      throw err;
    }
    return { cursor: encodeCursor(floor), count: backlog.count, complete: backlog.complete };
  }

  /** The first sync of a connection reads the inbox only once what went out live before it is persisted. */
  private async settled(conn: SyncCommand['conn']): Promise<void> {
    try {
      await this.live.settled(conn);
    } catch (err) {
      if (err instanceof LiveBacklogNotPersisted) throw new ApiError('UNAVAILABLE', 'try the sync again');
      throw err;
    }
  }
}
