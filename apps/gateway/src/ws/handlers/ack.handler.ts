import { Inject } from '@nestjs/common';
import type { ICommandHandler } from '@nestjs/cqrs';
import { ConversationCommandHandler } from '#libs/nats';
import type { Requests } from '#libs/protocol';
import { CLOCK, type Clock } from '#libs/platform';
import {
  encodeCursor,
  entryId,
  InboxStore,
  parseEntryId,
  raiseCursor,
  type Cursor,
  type LogPosition,
} from '#libs/read-models';
import { accepted } from '../../http/api-error.js';
import { ProjectionFloor } from '../../conversations/projection-floor.js';
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
 * sender), then the entries leave the inbox and the device's floor rises as far as it now can. Entries
 * this connection did not push are looked up in one statement per partition and 100 entries.
 */
export class AckCommand extends FrameCommand<AckDto, Requests['ack']['result']> {}

@FrameHandler(AckCommand, { ack: AckDto })
export class AckHandler implements ICommandHandler<AckCommand> {
  constructor(
    private readonly inbox: InboxStore,
    private readonly conversations: ConversationCommandHandler,
    private readonly floor: ProjectionFloor,
    private readonly sessions: SyncSessions,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The entries among `ids` that are this device's and still pending, with what they are. */
  private async lookup(
    conn: DeviceConnection,
    ids: readonly string[],
  ): Promise<Array<{ pos: LogPosition; entry: SentEntry }>> {
    const out: Array<{ pos: LogPosition; entry: SentEntry }> = [];
    const unknown: LogPosition[] = [];
    for (const id of ids) {
      const pos = parseEntryId(id)!;
      const known = conn.sent.get(id);
      if (known) out.push({ pos, entry: known });
      else unknown.push(pos);
    }
    // Unknown to this connection (pushed to an earlier one): only a stored entry is this device's.
    for (const e of await this.inbox.findMany(conn.userId, conn.deviceId, unknown))
      out.push({ pos: e, entry: describeStored(e.kind, e.conversationId, e.payload) });
    return out;
  }

  /**
   * The highest floor each partition can have now: nothing pending below it. Everything at or below the
   * projection's gap-free floor is written (read first: an entry written after the inbox read below is
   * above that floor), and of that, whatever is no longer in the inbox is acknowledged (or expired).
   */
  private async raiseFloor(conn: DeviceConnection, partitions: ReadonlySet<number>): Promise<Cursor> {
    const projected = new Map<number, number>();
    for (const p of partitions) projected.set(p, await this.floor.of(p));
    const stored = await this.inbox.cursor(conn.userId, conn.deviceId);
    const floors = new Map<number, number>();
    await Promise.all(
      [...partitions].map(async (p) => {
        const from = stored.get(p) ?? 0;
        const first = await this.inbox.firstPending(conn.userId, conn.deviceId, p, from);
        floors.set(p, Math.min(projected.get(p)!, first === undefined ? Infinity : first - 1));
      }),
    );
    const raised = new Map([...floors].filter(([p, floor]) => floor > (stored.get(p) ?? 0)));
    if (raised.size > 0) await this.inbox.saveCursor(conn.userId, conn.deviceId, raised);
    return raiseCursor(stored, raised);
  }

  async execute({ conn, data }: AckCommand): Promise<{ acked: number; cursor: string }> {
    const ids = [...new Set(data.entries.map((id) => entryId(parseEntryId(id)!)))];
    const found = await this.lookup(conn, ids);
    const deliveredByConversation = new Map<string, string[]>();
    for (const { entry } of found) {
      if (entry.kind === 'message' && entry.messageId && entry.senderUserId !== conn.userId) {
        deliveredByConversation.set(entry.conversationId, [
          ...(deliveredByConversation.get(entry.conversationId) ?? []),
          entry.messageId,
        ]);
      }
    }
    for (const [conversationId, messageIds] of deliveredByConversation) {
      accepted(
        await this.conversations.handle(
          conversationId,
          { type: 'AcknowledgeDelivery', userId: conn.userId, deviceId: conn.deviceId, messageIds },
          { now: this.clock.now() },
        ),
      );
    }
    // After the receipts are in the log (a crash before then must leave the entries to be re-sent), and
    // the floor only once the entries are gone.
    const positions = found.map((f) => f.pos);
    await this.inbox.remove(conn.userId, conn.deviceId, positions);
    const cursor = await this.raiseFloor(conn, new Set(positions.map((p) => p.partition)));
    for (const id of ids) conn.sent.delete(id);
    this.sessions.of(conn)?.acked(ids);
    return { acked: positions.length, cursor: encodeCursor(cursor) };
  }
}
