import type { ICommandHandler } from '@nestjs/cqrs';
import type { ServerFrame, Requests } from '#libs/protocol';
import { NatsClient } from '#libs/nats';
import { encodeCursor, entryId, InboxStore, parseCursor, type InboxEntry } from '#libs/read-models';
import { ApiError } from '../../http/api-error.js';
import { describeFrame } from '../live-sessions.js';
import { SyncDto } from '../frames.dto.js';
import { FrameCommand, FrameHandler } from '../frame-handler.js';

const PAGE = 500;

function toFrame(e: InboxEntry): ServerFrame {
  const id = entryId(e);
  const data = JSON.parse(e.payload) as Record<string, unknown>;
  return e.kind === 'message'
    ? ({ type: 'message', data: { ...data, entryId: id } } as ServerFrame)
    : ({ type: 'receipt', data: { ...data, entryId: id } } as ServerFrame);
}

/**
 * Sends every inbox entry after the cursor (the client's, else the one the server keeps), partition by
 * partition in log order, then releases the live entries held back meanwhile.
 */
export class SyncCommand extends FrameCommand<SyncDto, Requests['sync']['result']> {}

@FrameHandler(SyncCommand, { sync: SyncDto })
export class SyncHandler implements ICommandHandler<SyncCommand> {
  constructor(
    private readonly inbox: InboxStore,
    private readonly nats: NatsClient,
  ) {}

  async execute({ conn, data }: SyncCommand): Promise<{ cursor: string; count: number }> {
    const cursor =
      data.cursor !== undefined
        ? parseCursor(data.cursor)
        : await this.inbox.cursor(conn.userId, conn.deviceId);
    if (!cursor) throw new ApiError('VALIDATION_FAILED', 'cursor: must be a cursor returned by the server');
    conn.beginSync();
    const sent = new Set<string>();
    try {
      for (let p = 0; p < this.nats.topology.partitions; p++) {
        let after = cursor.get(p) ?? 0;
        for (;;) {
          const page = await this.inbox.pending(conn.userId, conn.deviceId, p, after, PAGE);
          for (const e of page) {
            const frame = toFrame(e);
            const id = entryId(e);
            sent.add(id);
            conn.deliver(id, frame, describeFrame(frame));
          }
          if (page.length < PAGE) break;
          after = page[page.length - 1]!.seq;
        }
      }
    } finally {
      conn.endSync(sent, describeFrame);
    }
    // The cursor moves only with acknowledgements; the sync answers with the one it started from.
    return { cursor: encodeCursor(cursor), count: sent.size };
  }
}
