import type { WebSocket } from 'ws';
import type { ServerFrame } from '#libs/protocol';
import { BoundedMap } from '#libs/platform';

/** What the gateway remembers of an entry it pushed, so an ack needs no lookup. */
export interface SentEntry {
  readonly kind: 'message' | 'receipt' | 'update';
  readonly conversationId: string;
  readonly messageId?: string;
  readonly senderUserId?: string;
  /** Read from the inbox (a sync): its row is written, so an ack deletes it at once. */
  readonly stored?: true;
}

/** A live frame goes to every recipient socket here (a group's to hundreds): serialized once. */
const serialized = new WeakMap<ServerFrame, string>();

const MAX_BUFFERED = 10_000;
const MAX_REMEMBERED = 20_000;

/**
 * One authenticated device socket. Live entries that arrive while the device syncs are held back and
 * sent after the sync, minus those the sync already sent, so nothing falls between the two.
 */
export class DeviceConnection {
  private syncing = true;
  private buffered: Array<{ entryId: string; frame: ServerFrame }> = [];
  readonly sent = new BoundedMap<string, SentEntry>(MAX_REMEMBERED);

  constructor(
    readonly userId: string,
    readonly deviceId: string,
    readonly socket: WebSocket,
    /** Unique over all gateways: names this socket in its device's socket set (DeviceSockets). */
    readonly connectionId: string,
  ) {}

  send(frame: ServerFrame): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    let text = serialized.get(frame);
    if (text === undefined) {
      text = JSON.stringify(frame);
      serialized.set(frame, text);
    }
    this.socket.send(text);
  }

  /** Sends an inbox entry now, or holds it while a sync is running. */
  pushEntry(entryId: string, frame: ServerFrame, entry: SentEntry): void {
    if (this.syncing) {
      if (this.buffered.length < MAX_BUFFERED) this.buffered.push({ entryId, frame });
      return; // beyond the buffer the entry waits in the inbox for the next sync
    }
    // A sync may have read the entry before its live copy came: pushed already, not acknowledged yet.
    if (this.sent.has(entryId)) return;
    this.deliver(entryId, frame, entry);
  }

  deliver(entryId: string, frame: ServerFrame, entry: SentEntry): void {
    this.sent.set(entryId, entry);
    this.send(frame);
  }

  beginSync(): void {
    this.syncing = true;
  }

  /** Flushes what arrived live during the sync, skipping entries the sync itself sent. */
  endSync(sentBySync: ReadonlySet<string>, describe: (frame: ServerFrame) => SentEntry): void {
    const held = this.buffered;
    this.buffered = [];
    this.syncing = false;
    for (const { entryId, frame } of held)
      if (!sentBySync.has(entryId)) this.deliver(entryId, frame, describe(frame));
  }
}
