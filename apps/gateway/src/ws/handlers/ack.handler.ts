import type { ICommandHandler } from '@nestjs/cqrs';
import type { Requests } from '#libs/protocol';
import { encodeCursor, entryId, InboxStore, parseEntryId, type LogPosition } from '#libs/read-models';
import { AckFlusher, type AckedEntry } from '../ack-flusher.js';
import type { DeviceConnection, SentEntry } from '../device-connection.js';
import { AckDto } from '../frames.dto.js';
import { SyncSessions } from '../sync-sessions.js';
import { FrameCommand, FrameHandler } from '../frame-handler.js';

function describeStored(kind: SentEntry['kind'], conversationId: string, payload: string): SentEntry {
  const data = JSON.parse(payload) as { messageId?: string; senderUserId?: string; system?: unknown };
  // A system message is not acknowledged as delivered: it has no sender waiting for ticks.
  if (data.system) return { kind, conversationId };
  return {
    kind,
    conversationId,
    ...(data.messageId ? { messageId: data.messageId } : {}),
    ...(data.senderUserId ? { senderUserId: data.senderUserId } : {}),
  };
}

/**
 * The device holds these entries: messages from others become MessageDelivered (two ticks for their
 * sender), then the entries leave the inbox and the device's floor rises as far as it now can, all in
 * the gateway's next flush (AckFlusher), which the answer waits for. Entries this connection did not
 * push are looked up in one statement per partition and 100 entries.
 */
export class AckCommand extends FrameCommand<AckDto, Requests['ack']['result']> {}

@FrameHandler(AckCommand, { ack: AckDto })
export class AckHandler implements ICommandHandler<AckCommand> {
  constructor(
    private readonly inbox: InboxStore,
    private readonly acks: AckFlusher,
    private readonly sessions: SyncSessions,
  ) {}

  /** The entries among `ids` that are this device's and still pending, with what they are. */
  private async lookup(conn: DeviceConnection, ids: readonly string[]): Promise<AckedEntry[]> {
    const out: AckedEntry[] = [];
    const unknown: LogPosition[] = [];
    for (const id of ids) {
      const pos = parseEntryId(id)!;
      const known = conn.sent.get(id);
      if (known) out.push({ pos, entry: known, stored: known.stored === true });
      else unknown.push(pos);
    }
    // Unknown to this connection (pushed to an earlier one): only a stored entry is this device's.
    if (unknown.length > 0)
      for (const e of await this.inbox.findMany(conn.userId, conn.deviceId, unknown))
        out.push({ pos: e, entry: describeStored(e.kind, e.conversationId, e.payload), stored: true });
    return out;
  }

  async execute({ conn, data }: AckCommand): Promise<{ acked: number; cursor: string }> {
    const ids = [...new Set(data.entries.map((id) => entryId(parseEntryId(id)!)))];
    const found = await this.lookup(conn, ids);
    // Room in the sync window at once: the backlog reads on past what it pushed, and the entries stay
    // pending for the cursor until the flush has stored their receipt and deleted them.
    this.sessions.of(conn)?.acked(ids);
    await this.acks.add(conn, found);
    for (const id of ids) conn.sent.delete(id);
    return { acked: found.length, cursor: encodeCursor(await this.acks.floors.current(conn)) };
  }
}
