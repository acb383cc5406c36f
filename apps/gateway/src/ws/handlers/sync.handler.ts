import { Injectable } from '@nestjs/common';
import type { ServerFrame } from '#libs/protocol';
import { NatsClient } from '#libs/nats';
import { encodeCursor, entryId, InboxStore, parseCursor, type InboxEntry } from '#libs/read-models';
import { ApiError } from '../../http/api-error.js';
import type { DeviceConnection } from '../device-connection.js';
import { describeFrame } from '../live-sessions.js';
import { SyncDto } from '../frames.dto.js';
import type { RequestHandler } from './request-handler.js';

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
@Injectable()
export class SyncHandler implements RequestHandler<'sync'> {
  readonly type = 'sync' as const;
  readonly dto = SyncDto;

  constructor(
    private readonly inbox: InboxStore,
    private readonly nats: NatsClient,
  ) {}

  async handle(conn: DeviceConnection, data: SyncDto): Promise<{ cursor: string; count: number }> {
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
