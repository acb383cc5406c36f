import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import {
  CLOSE_CODES,
  type ErrorBody,
  type GroupPermission,
  type InboxMessage,
  type MediaAttachment,
  type PresenceState,
  type PrivacySettingsView,
  type Receipt,
  type Requests,
  type RequestType,
  type ServerFrame,
  type TypingState,
} from '#libs/protocol';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { SeenIds } from './dedupe.js';
import { ChatError } from './errors.js';
import { TypingTracker, type TypingEntry } from './typing-tracker.js';

export interface CursorStore {
  load(): Promise<string | undefined> | string | undefined;
  save(cursor: string): Promise<void> | void;
}

export interface ChatClientOptions {
  /** Gateway WebSocket URLs; a reconnect moves to the next one, so a dead gateway is left behind. */
  readonly urls: readonly string[];
  /** Called before every connect: return a fresh access token (refresh it here when needed). */
  readonly getAccessToken: () => string | Promise<string>;
  readonly cursorStore?: CursorStore;
  readonly reconnect?: Partial<BackoffOptions>;
  readonly requestTimeoutMs?: number;
  /** Acknowledge every received entry automatically (default true). */
  readonly autoAck?: boolean;
  /**
   * Send `presence.heartbeat` while connected (default true), every `heartbeatIntervalMs` until the
   * gateway names its own interval in the first answer.
   */
  readonly heartbeat?: boolean;
  readonly heartbeatIntervalMs?: number;
  /**
   * Local address the socket binds (e.g. 127.0.0.2): one source address has only ~28,000 ephemeral
   * ports towards one gateway, so a load generator spreads its connections over several.
   */
  readonly localAddress?: string;
}

export interface ChatClientEvents {
  message: [InboxMessage];
  receipt: [Receipt];
  connected: [{ url: string; resumed: boolean }];
  disconnected: [{ code: number; reason: string }];
  revoked: [];
  /** A watched user's presence changed (redacted by their privacy settings). */
  presence: [PresenceState];
  /** Someone started or stopped typing or recording in the watched conversation (also on expiry). */
  typing: [{ conversationId: string; userId: string; deviceId: string; state: TypingState }];
  error: [Error];
}

interface Pending {
  readonly type: RequestType;
  readonly frame: string;
  readonly resolve: (data: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
  sent: boolean;
  /** How often the gateway answered RATE_LIMITED and the request was sent again after its hint. */
  rateLimited: number;
}

const ACK_BATCH_MS = 20;
const ACK_BATCH_MAX = 500;
/** A request refused with RATE_LIMITED is sent again after the server's retryAfterMs, this many times. */
const RATE_LIMIT_RETRIES = 5;
/** Ephemeral signals are not worth repeating late: a refused one is reported to the caller instead. */
const NOT_RETRIED_WHEN_LIMITED: ReadonlySet<RequestType> = new Set(['typing.set', 'presence.heartbeat']);

/**
 * A device's connection to the chat: connect, reconnect with backoff and resume from the cursor,
 * idempotent sends that survive a reconnect, receiving with de-duplication, and automatic acks.
 */
export class ChatClient extends EventEmitter<ChatClientEvents> {
  private ws?: WebSocket;
  private urlIndex = 0;
  private attempt = 0;
  private ready = false;
  private stopped = false;
  private everConnected = false;
  private readonly pending = new Map<string, Pending>();
  private readonly seenMessages = new SeenIds();
  private readonly seenReceipts = new SeenIds();
  private ackQueue: string[] = [];
  private ackTimer?: NodeJS.Timeout;
  private reconnectTimer?: NodeJS.Timeout;
  private firstSync?: { resolve: () => void; reject: (e: Error) => void };
  private memoryCursor?: string;
  private readonly backoff: BackoffOptions;
  private heartbeatTimer?: NodeJS.Timeout;
  private heartbeatMs: number;
  private readonly typingTracker = new TypingTracker();
  private typingTimer?: NodeJS.Timeout;

  constructor(private readonly options: ChatClientOptions) {
    super();
    if (options.urls.length === 0) throw new Error('ChatClient needs at least one gateway URL');
    this.backoff = { initialDelayMs: 100, maxDelayMs: 5000, ...options.reconnect };
    this.heartbeatMs = options.heartbeatIntervalMs ?? 5000;
  }

  /** Resolves once the first sync is answered: its first window of pending entries has been emitted. */
  connect(): Promise<void> {
    this.stopped = false;
    const done = new Promise<void>((resolve, reject) => (this.firstSync = { resolve, reject }));
    void this.open();
    return done;
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.heartbeatTimer);
    clearTimeout(this.typingTimer);
    await this.flushAcks().catch(() => undefined);
    this.failPending(() => true, new ChatError('UNAVAILABLE', 'the client was closed'));
    const ws = this.ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close(1000, 'bye');
      });
    }
  }

  get connected(): boolean {
    return this.ready;
  }

  send(
    conversationId: string,
    text: string,
    opts: { clientMessageId?: string; replyTo?: string; mentions?: string[] } = {},
  ): Promise<Requests['message.send']['result']> {
    return this.request('message.send', {
      conversationId,
      clientMessageId: opts.clientMessageId ?? randomUUID(),
      text,
      ...(opts.replyTo ? { replyTo: opts.replyTo } : {}),
      ...(opts.mentions ? { mentions: opts.mentions } : {}),
    });
  }

  /** Sends a completed upload (or media seen in another conversation: forwarding) as a message. */
  sendMedia(
    conversationId: string,
    media: MediaAttachment,
    opts: { clientMessageId?: string; replyTo?: string } = {},
  ): Promise<Requests['message.send']['result']> {
    return this.request('message.send', {
      conversationId,
      clientMessageId: opts.clientMessageId ?? randomUUID(),
      media,
      ...(opts.replyTo ? { replyTo: opts.replyTo } : {}),
    });
  }

  /** Replies to a group message in the 1:1 conversation with its author, quoting it. */
  replyPrivately(
    groupConversationId: string,
    messageId: string,
    text: string,
    opts: { clientMessageId?: string } = {},
  ): Promise<Requests['message.reply_privately']['result']> {
    return this.request('message.reply_privately', {
      groupConversationId,
      messageId,
      text,
      clientMessageId: opts.clientMessageId ?? randomUUID(),
    });
  }

  /** Each member's delivered and read time of a message. */
  messageInfo(conversationId: string, messageId: string): Promise<Requests['message.info']['result']> {
    return this.request('message.info', { conversationId, messageId });
  }

  createGroup(
    subject: string,
    members: string[],
    opts: { description?: string } = {},
  ): Promise<Requests['group.create']['result']> {
    return this.request('group.create', {
      subject,
      members,
      ...(opts.description !== undefined ? { description: opts.description } : {}),
    });
  }

  addMembers(conversationId: string, userIds: string[]): Promise<Requests['group.add_members']['result']> {
    return this.request('group.add_members', { conversationId, userIds });
  }

  removeMember(conversationId: string, userId: string): Promise<Requests['group.remove_member']['result']> {
    return this.request('group.remove_member', { conversationId, userId });
  }

  leaveGroup(conversationId: string): Promise<Requests['group.leave']['result']> {
    return this.request('group.leave', { conversationId });
  }

  promote(conversationId: string, userId: string): Promise<Requests['group.promote']['result']> {
    return this.request('group.promote', { conversationId, userId });
  }

  demote(conversationId: string, userId: string): Promise<Requests['group.demote']['result']> {
    return this.request('group.demote', { conversationId, userId });
  }

  updateGroupInfo(
    conversationId: string,
    change: { subject?: string; description?: string },
  ): Promise<Requests['group.update_info']['result']> {
    return this.request('group.update_info', { conversationId, ...change });
  }

  updateGroupSettings(
    conversationId: string,
    change: { sendMessages?: GroupPermission; editInfo?: GroupPermission },
  ): Promise<Requests['group.update_settings']['result']> {
    return this.request('group.update_settings', { conversationId, ...change });
  }

  groupInfo(conversationId: string): Promise<Requests['group.info']['result']> {
    return this.request('group.info', { conversationId });
  }

  openDirect(userId: string): Promise<Requests['conversation.open_direct']['result']> {
    return this.request('conversation.open_direct', { userId });
  }

  markRead(conversationId: string, upToMessageId: string): Promise<Requests['message.read']['result']> {
    return this.request('message.read', { conversationId, upToMessageId });
  }

  history(
    conversationId: string,
    opts: { before?: string; after?: string; limit?: number } = {},
  ): Promise<Requests['history.get']['result']> {
    return this.request('history.get', { conversationId, ...opts });
  }

  listConversations(limit?: number): Promise<Requests['conversations.list']['result']> {
    return this.request('conversations.list', limit !== undefined ? { limit } : {});
  }

  /** One conversation's summary (as in listConversations); NOT_A_MEMBER unless the user is a member. */
  getConversation(conversationId: string): Promise<Requests['conversation.get']['result']> {
    return this.request('conversation.get', { conversationId });
  }

  ping(): Promise<Requests['ping']['result']> {
    return this.request('ping', {});
  }

  heartbeat(): Promise<Requests['presence.heartbeat']['result']> {
    return this.request('presence.heartbeat', {});
  }

  /**
   * Watches these users' presence (and, with a conversationId, its typing indicators): answers their
   * state now, then `presence` and `typing` events follow. Replaces what was watched before; re-send it
   * after a reconnect ('connected' event).
   */
  async watchPresence(userIds: string[], conversationId?: string): Promise<PresenceState[]> {
    const result = await this.request('presence.subscribe', {
      userIds,
      ...(conversationId ? { conversationId } : {}),
    });
    return result.presence;
  }

  setTyping(conversationId: string, state: TypingState): Promise<Requests['typing.set']['result']> {
    return this.request('typing.set', { conversationId, state });
  }

  getPrivacy(): Promise<PrivacySettingsView> {
    return this.request('privacy.get', {});
  }

  setPrivacy(settings: Partial<PrivacySettingsView>): Promise<PrivacySettingsView> {
    return this.request('privacy.set', settings);
  }

  /** Who is typing or recording in a conversation now (expired indicators left out). */
  typingIn(conversationId: string): TypingEntry[] {
    return this.typingTracker.active(conversationId, Date.now());
  }

  async ack(entryIds: string[]): Promise<Requests['ack']['result']> {
    const result = await this.request('ack', { entries: entryIds });
    await this.saveCursor(result.cursor);
    return result;
  }

  private async loadCursor(): Promise<string | undefined> {
    return this.options.cursorStore ? this.options.cursorStore.load() : this.memoryCursor;
  }

  private async saveCursor(cursor: string): Promise<void> {
    if (this.options.cursorStore) await this.options.cursorStore.save(cursor);
    else this.memoryCursor = cursor;
  }

  private request<T extends RequestType>(type: T, data: Requests[T]['data']): Promise<Requests[T]['result']> {
    const id = randomUUID();
    return new Promise<Requests[T]['result']>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new ChatError(
            'TIMEOUT',
            `${type} got no answer within ${this.options.requestTimeoutMs ?? 10_000} ms`,
          ),
        );
      }, this.options.requestTimeoutMs ?? 10_000);
      const p: Pending = {
        type,
        frame: JSON.stringify({ type, id, data }),
        resolve: resolve as (d: unknown) => void,
        reject,
        timer,
        sent: false,
        rateLimited: 0,
      };
      this.pending.set(id, p);
      this.trySend(p);
    });
  }

  /** Requests go out once synced; sync and ack may go while syncing (the gateway orders them). */
  private trySend(p: Pending): void {
    const open = this.ws?.readyState === WebSocket.OPEN;
    if (open && (this.ready || p.type === 'sync' || p.type === 'ack')) {
      this.ws!.send(p.frame);
      p.sent = true;
    }
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    const url = this.options.urls[this.urlIndex % this.options.urls.length]!;
    let token: string;
    try {
      token = await this.options.getAccessToken();
    } catch (err) {
      this.emit('error', err instanceof Error ? err : new Error(String(err)));
      return this.scheduleReconnect();
    }
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${token}` },
      ...(this.options.localAddress !== undefined && { localAddress: this.options.localAddress }),
    });
    this.ws = ws;
    ws.on('open', () => void this.sync(url));
    ws.on('message', (raw) => this.onFrame(raw.toString()));
    ws.on('error', (err) => {
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
    ws.on('close', (code, reason) => this.onClose(ws, code, reason.toString()));
  }

  private async sync(url: string): Promise<void> {
    try {
      const cursor = await this.loadCursor();
      await this.request('sync', cursor !== undefined ? { cursor } : {});
    } catch {
      // The socket dropped during sync (onClose reconnects), or the gateway could not sync now (a
      // dependency down: UNAVAILABLE): close it, and reconnect and sync again after the backoff.
      if (this.ws?.readyState === WebSocket.OPEN) this.ws.close(1000, 'sync failed');
      return;
    }
    this.ready = true;
    this.attempt = 0;
    const resumed = this.everConnected;
    this.everConnected = true;
    for (const p of this.pending.values()) if (!p.sent) this.trySend(p);
    this.scheduleHeartbeat();
    this.emit('connected', { url, resumed });
    this.firstSync?.resolve();
    this.firstSync = undefined;
  }

  private onFrame(text: string): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text) as ServerFrame;
    } catch {
      return;
    }
    switch (frame.type) {
      case 'result':
      case 'error': {
        const p = frame.id ? this.pending.get(frame.id) : undefined;
        if (!p) return;
        if (
          frame.type === 'error' &&
          frame.error.code === 'RATE_LIMITED' &&
          p.rateLimited < RATE_LIMIT_RETRIES &&
          !NOT_RETRIED_WHEN_LIMITED.has(p.type)
        ) {
          // Requests are safe to repeat (sends carry their clientMessageId), so wait as told and retry.
          p.rateLimited++;
          p.sent = false;
          const hint = Number(frame.error.details?.retryAfterMs ?? 100);
          setTimeout(() => this.trySend(p), Math.min(Math.max(hint, 10), 5_000));
          return;
        }
        this.pending.delete(frame.id!);
        clearTimeout(p.timer);
        if (frame.type === 'result') p.resolve(frame.data);
        else p.reject(toError(frame.error));
        return;
      }
      case 'message':
        if (this.seenMessages.firstTime(frame.data.messageId)) this.emit('message', frame.data);
        this.queueAck(frame.data.entryId);
        return;
      case 'receipt':
        if (this.seenReceipts.firstTime(frame.data.entryId)) this.emit('receipt', frame.data);
        this.queueAck(frame.data.entryId);
        return;
      case 'presence':
        this.emit('presence', frame.data);
        return;
      case 'typing': {
        const t = frame.data;
        if (this.typingTracker.apply(t, Date.now()))
          this.emit('typing', {
            conversationId: t.conversationId,
            userId: t.userId,
            deviceId: t.deviceId,
            state: t.state,
          });
        this.scheduleTypingExpiry();
        return;
      }
    }
  }

  private scheduleHeartbeat(): void {
    clearTimeout(this.heartbeatTimer);
    if (this.options.heartbeat === false || this.stopped) return;
    this.heartbeatTimer = setTimeout(() => {
      if (!this.ready) return;
      this.heartbeat()
        .then((r) => (this.heartbeatMs = r.intervalMs))
        .catch(() => undefined) // a lost heartbeat is followed by the next; a closed socket reconnects
        .finally(() => this.ready && this.scheduleHeartbeat());
    }, this.heartbeatMs);
  }

  /** Drops indicators nobody refreshed, telling the app they stopped. */
  private scheduleTypingExpiry(): void {
    clearTimeout(this.typingTimer);
    const next = this.typingTracker.nextExpiry();
    if (next === undefined || this.stopped) return;
    this.typingTimer = setTimeout(
      () => {
        for (const e of this.typingTracker.expire(Date.now()))
          this.emit('typing', {
            conversationId: e.conversationId,
            userId: e.userId,
            deviceId: e.deviceId,
            state: 'stopped',
          });
        this.scheduleTypingExpiry();
      },
      Math.max(0, next - Date.now()),
    );
  }

  private queueAck(entryId: string): void {
    if (this.options.autoAck === false) return;
    this.ackQueue.push(entryId);
    if (this.ackQueue.length >= ACK_BATCH_MAX) void this.flushAcks().catch(() => undefined);
    else this.ackTimer ??= setTimeout(() => void this.flushAcks().catch(() => undefined), ACK_BATCH_MS);
  }

  private async flushAcks(): Promise<void> {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    while (this.ackQueue.length > 0) {
      const batch = [...new Set(this.ackQueue.splice(0, ACK_BATCH_MAX))];
      // An ack lost with the connection is harmless: the entries come back on the next sync.
      await this.ack(batch);
    }
  }

  private onClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.ws) return;
    this.ready = false;
    clearTimeout(this.heartbeatTimer);
    this.emit('disconnected', { code, reason });
    // Sends are re-sent after reconnect (same clientMessageId, so the server de-duplicates); others fail.
    this.failPending(
      (p) => p.type !== 'message.send',
      new ChatError('UNAVAILABLE', 'the connection was lost'),
    );
    for (const p of this.pending.values()) p.sent = false;
    this.ackQueue = [];
    if (code === CLOSE_CODES.revoked) {
      this.stopped = true;
      this.failPending(() => true, new ChatError('DEVICE_REVOKED', 'this device was removed'));
      this.firstSync?.reject(new ChatError('DEVICE_REVOKED', 'this device was removed'));
      this.emit('revoked');
      return;
    }
    if (code === CLOSE_CODES.replaced) {
      // A newer connection of this device took this one's place: reconnecting would close that one.
      this.stopped = true;
      const replaced = new ChatError('UNAVAILABLE', 'a newer connection of this device replaced this one');
      this.failPending(() => true, replaced);
      this.firstSync?.reject(replaced);
      return;
    }
    if (!this.stopped) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.urlIndex++;
    const delay = backoffDelay(this.attempt++, this.backoff);
    this.reconnectTimer = setTimeout(() => void this.open(), delay);
  }

  private failPending(which: (p: Pending) => boolean, error: Error): void {
    for (const [id, p] of this.pending) {
      if (!which(p)) continue;
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(error);
    }
  }
}

function toError(e: ErrorBody): ChatError {
  return new ChatError(e.code, e.message, e.details);
}
