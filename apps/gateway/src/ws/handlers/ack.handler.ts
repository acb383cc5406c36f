import type { ICommandHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import { ConversationCommandHandler } from '#libs/nats';
import { accepted } from '../../http/api-error.js';
import { CLOCK, type Clock } from '#libs/platform';
import {
  encodeCursor,
  InboxStore,
  mergeCursor,
  parseEntryId,
  type Cursor,
  type LogPosition,
} from '#libs/read-models';
import { ProjectionFloor } from '../../conversations/projection-floor.js';
import type { DeviceConnection, SentEntry } from '../device-connection.js';
import { AckDto } from '../frames.dto.js';
import type { Requests } from '#libs/protocol';
import { FrameCommand, FrameHandler } from '../frame-handler.js';

/**
 * The device holds these entries: messages from others become MessageDelivered (two ticks for their
 * sender), then the entries leave the inbox and the device's cursor moves on.
 */
export class AckCommand extends FrameCommand<AckDto, Requests['ack']['result']> {}

@FrameHandler(AckCommand, { ack: AckDto })
export class AckHandler implements ICommandHandler<AckCommand> {
  constructor(
    private readonly inbox: InboxStore,
    private readonly conversations: ConversationCommandHandler,
    private readonly floor: ProjectionFloor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  private async lookup(conn: DeviceConnection, id: string, pos: LogPosition): Promise<SentEntry | undefined> {
    const known = conn.sent.get(id);
    if (known) return known;
    const stored = await this.inbox.find(conn.userId, conn.deviceId, pos);
    if (!stored) return undefined;
    const data = JSON.parse(stored.payload) as {
      messageId?: string;
      senderUserId?: string;
      system?: unknown;
    };
    // A system message is not acknowledged as delivered: it has no sender waiting for ticks.
    if (data.system) return { kind: stored.kind, conversationId: stored.conversationId };
    return {
      kind: stored.kind,
      conversationId: stored.conversationId,
      ...(data.messageId ? { messageId: data.messageId } : {}),
      ...(data.senderUserId ? { senderUserId: data.senderUserId } : {}),
    };
  }

  /** Moves the device's cursor over acknowledged entries, but never past the projection's gap-free floor. */
  private async advanceCursor(conn: DeviceConnection, positions: readonly LogPosition[]): Promise<Cursor> {
    const stored = await this.inbox.cursor(conn.userId, conn.deviceId);
    const floors = new Map<number, number>();
    for (const p of new Set(positions.map((x) => x.partition))) floors.set(p, await this.floor.of(p));
    const clamped = positions.map((p) => ({
      partition: p.partition,
      seq: Math.min(p.seq, floors.get(p.partition)!),
    }));
    const cursor = mergeCursor(stored, clamped);
    await this.inbox.saveCursor(conn.userId, conn.deviceId, cursor);
    return cursor;
  }

  async execute({ conn, data }: AckCommand): Promise<{ acked: number; cursor: string }> {
    const ids = [...new Set(data.entries)];
    const positions: LogPosition[] = [];
    const deliveredByConversation = new Map<string, string[]>();
    for (const id of ids) {
      const pos = parseEntryId(id)!;
      const entry = await this.lookup(conn, id, pos);
      if (!entry) continue; // already acknowledged, or never this device's
      positions.push(pos);
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
    // After the receipts are in the log (a crash before then must leave the entries to be re-sent).
    const [, cursor] = await Promise.all([
      this.inbox.remove(conn.userId, conn.deviceId, positions),
      this.advanceCursor(conn, positions),
    ]);
    for (const id of ids) conn.sent.delete(id);
    return { acked: positions.length, cursor: encodeCursor(cursor) };
  }
}
