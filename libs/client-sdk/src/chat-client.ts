import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import {
  CLOSE_CODES,
  type ErrorBody,
  type E2eSend,
  type GroupPermission,
  type InboxMessage,
  type LocationAttachment,
  type MediaAttachment,
  type MessageUpdate,
  type PreKeyCounts,
  type PresenceState,
  type PrivacySettingsView,
  type ProfileUpdate,
  type BlockList,
  type ReportRequest,
  type ProfileView,
  type Receipt,
  type DisappearingTimer,
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
  /** A message was edited, deleted for everyone, or deleted by this user for themselves (another device). */
  update: [MessageUpdate];
  connected: [{ url: string; resumed: boolean }];
  disconnected: [{ code: number; reason: string }];
  revoked: [];
  /** A watched user's presence changed (redacted by their privacy settings). */
  presence: [PresenceState];
  /** Someone started or stopped typing or recording in the watched conversation (also on expiry). */
  typing: [{ conversationId: string; userId: string; deviceId: string; state: TypingState }];
  /** A contact's (or this user's own) profile changed, as this user may see it. */
  profile: [ProfileView];
  /** This user's block list changed (on any of their devices). */
  blocks: [BlockList];
  /** This device's one-time prekeys run low: upload more (E2E). */
  prekeysLow: [PreKeyCounts];
  error: [Error];
}

interface Pending {
  readonly type: RequestType;
  readonly frame: string;
  readonly resolve: (data: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
  sent: boolean;
  /**
   * A send's frame marked `resend: true`, used once the first may have reached the server (the
   * connection was lost after it went out): only then does the gateway consult its durable record.
   */
  readonly resendFrame?: string;
  resend: boolean;
  /** How often the gateway answered RATE_LIMITED and the request was sent again after its hint. */
  rateLimited: number;
}

const ACK_BATCH_MS = 20;
const ACK_BATCH_MAX = 500;
/** An ack the gateway could not store (its log unavailable) is sent again after this, growing to 2 s. */
const ACK_RETRY_MS = 200;
/**
 * Ack requests in flight at once: a sync's backlog is acknowledged in several requests, which share
 * the gateway's flushes (its four ack lanes) instead of each waiting for the answer to the one before.
 */
const ACKS_IN_FLIGHT = 4;
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
  private readonly seenUpdates = new SeenIds();
  /** Consecutive acks sent again after the gateway could not store them (see flushAcks). */
  private ackRetries = 0;
  private ackQueue: string[] = [];
  private ackTimer?: NodeJS.Timeout;
  /** Set while acks the gateway could not store wait to be sent again (see ackFailed). */
  private ackRetryTimer?: NodeJS.Timeout;
  private readonly acksInFlight = new Set<Promise<unknown>>();
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

  /** Sends end-to-end encrypted content (per-device envelopes or a group sender-key ciphertext): see E2eSession. */
  sendE2e(
    conversationId: string,
    e2e: E2eSend,
    opts: { clientMessageId?: string; replyTo?: string } = {},
  ): Promise<Requests['message.send']['result']> {
    return this.request('message.send', {
      conversationId,
      clientMessageId: opts.clientMessageId ?? randomUUID(),
      e2e,
      ...(opts.replyTo ? { replyTo: opts.replyTo } : {}),
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

  /** Shares a location; `liveSeconds` makes it a live location, moved with editMessage({ location }). */
  sendLocation(
    conversationId: string,
    location: LocationAttachment,
    opts: { clientMessageId?: string } = {},
  ): Promise<Requests['message.send']['result']> {
    return this.request('message.send', {
      conversationId,
      clientMessageId: opts.clientMessageId ?? randomUUID(),
      location,
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
    opts: { description?: string; e2e?: boolean } = {},
  ): Promise<Requests['group.create']['result']> {
    return this.request('group.create', {
      subject,
      members,
      ...(opts.description !== undefined ? { description: opts.description } : {}),
      ...(opts.e2e !== undefined ? { e2e: opts.e2e } : {}),
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

  /** Sets the group's icon to a completed image upload of this user, or (no mediaId) removes it. */
  setGroupIcon(conversationId: string, mediaId?: string): Promise<Requests['group.set_icon']['result']> {
    return this.request('group.set_icon', { conversationId, ...(mediaId !== undefined ? { mediaId } : {}) });
  }

  groupInfo(conversationId: string): Promise<Requests['group.info']['result']> {
    return this.request('group.info', { conversationId });
  }

  /** `e2e`: end-to-end encrypted (default: when both users published E2E keys). */
  openDirect(
    userId: string,
    opts: { e2e?: boolean } = {},
  ): Promise<Requests['conversation.open_direct']['result']> {
    return this.request('conversation.open_direct', {
      userId,
      ...(opts.e2e !== undefined ? { e2e: opts.e2e } : {}),
    });
  }

  /**
   * Edits a message's text (or, with `{ caption }`, a media message's caption; with `{ location }`, a
   * live location's point; with `{ stopLive: true }`, ends it); `clientActionId` makes it idempotent.
   */
  editMessage(
    conversationId: string,
    messageId: string,
    change:
      | { text: string }
      | { caption: string }
      | { location: { latitude: number; longitude: number } }
      | { stopLive: true },
    clientActionId: string = randomUUID(),
  ): Promise<Requests['message.edit']['result']> {
    return this.request('message.edit', { conversationId, messageId, clientActionId, ...change });
  }

  /** Deletes a message for everyone, or (forEveryone false) for this user's devices only. */
  deleteMessage(
    conversationId: string,
    messageId: string,
    forEveryone: boolean,
    clientActionId: string = randomUUID(),
  ): Promise<Requests['message.delete']['result']> {
    return this.request('message.delete', { conversationId, messageId, clientActionId, forEveryone });
  }

  /** Forwards a message to 1-5 chats (one for a message forwarded many times); a client id per copy. */
  forward(
    fromConversationId: string,
    messageId: string,
    to: ReadonlyArray<string | { conversationId: string; clientMessageId: string }>,
  ): Promise<Requests['message.forward']['result']> {
    return this.request('message.forward', {
      fromConversationId,
      messageId,
      to: to.map((t) => (typeof t === 'string' ? { conversationId: t, clientMessageId: randomUUID() } : t)),
    });
  }

  /** Archives a conversation for this user (all their devices), or takes it out of the archive. */
  archive(conversationId: string, archived = true): Promise<Requests['conversation.archive']['result']> {
    return this.request('conversation.archive', { conversationId, archived });
  }

  /** Turns disappearing messages on (24h, 7d, 90d) or off for everyone in the conversation. */
  setDisappearing(
    conversationId: string,
    timer: DisappearingTimer,
    clientActionId: string = randomUUID(),
  ): Promise<Requests['conversation.set_disappearing']['result']> {
    return this.request('conversation.set_disappearing', { conversationId, timer, clientActionId });
  }

  /** Pins a conversation to the top of this user's list (at most 3), or unpins it. */
  pin(conversationId: string, pinned = true): Promise<Requests['conversation.pin']['result']> {
    return this.request('conversation.pin', { conversationId, pinned });
  }

  /** Stars a message for this user (all their devices), or unstars it. */
  star(
    conversationId: string,
    messageId: string,
    starred = true,
  ): Promise<Requests['message.star']['result']> {
    return this.request('message.star', { conversationId, messageId, starred });
  }

  starredList(limit?: number): Promise<Requests['starred.list']['result']> {
    return this.request('starred.list', limit !== undefined ? { limit } : {});
  }

  /** Sets this user's one reaction to a message (an emoji), or removes it (`undefined`). */
  react(
    conversationId: string,
    messageId: string,
    emoji: string | undefined,
    clientActionId: string = randomUUID(),
  ): Promise<Requests['message.react']['result']> {
    return this.request('message.react', {
      conversationId,
      messageId,
      clientActionId,
      ...(emoji !== undefined ? { emoji } : {}),
    });
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

  /** Changes this user's profile (display name, about, avatar from a completed image upload). */
  setProfile(update: ProfileUpdate): Promise<ProfileView> {
    return this.request('profile.set', update);
  }

  /** Up to 100 users' profiles, as this user may see them. */
  async getProfiles(userIds: string[]): Promise<ProfileView[]> {
    return (await this.request('profile.get', { userIds })).profiles;
  }

  /** Blocks a user: their direct messages stop reaching this user; they see none of its presence, avatar or about. */
  block(userId: string): Promise<BlockList> {
    return this.request('block.add', { userId });
  }

  unblock(userId: string): Promise<BlockList> {
    return this.request('block.remove', { userId });
  }

  /** This user's block list (ask after connecting; `blocks` frames follow changes). */
  blockList(): Promise<BlockList> {
    return this.request('block.list', {});
  }

  /** Reports a user or a conversation to the operators, optionally with up to 5 messages, optionally blocking. */
  report(report: ReportRequest): Promise<Requests['report.create']['result']> {
    return this.request('report.create', report);
  }

  /** Contacts' profile changes after `since` (the previous answer's cursor): what live frames a device missed. */
  profileChanges(since?: string): Promise<Requests['profile.changes']['result']> {
    return this.request('profile.changes', since !== undefined ? { since } : {});
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
        ...(type === 'message.send'
          ? { resendFrame: JSON.stringify({ type, id, data: { ...(data as object), resend: true } }) }
          : {}),
        resend: false,
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
      this.ws!.send(p.resend && p.resendFrame ? p.resendFrame : p.frame);
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
    } catch (err) {
      // The socket dropped during sync (onClose reconnects), or the gateway could not sync now (a
      // dependency down: UNAVAILABLE): close it, and reconnect and sync again after the backoff.
      if (this.listenerCount('error') > 0)
        this.emit('error', err instanceof Error ? err : new Error(String(err)));
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
      case 'update':
        if (this.seenUpdates.firstTime(frame.data.entryId)) this.emit('update', frame.data);
        this.queueAck(frame.data.entryId);
        return;
      case 'presence':
        this.emit('presence', frame.data);
        return;
      case 'profile':
        this.emit('profile', frame.data);
        return;
      case 'blocks':
        this.emit('blocks', frame.data);
        return;
      case 'prekeys.low':
        this.emit('prekeysLow', frame.data);
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

  /** Sends every queued ack, a few requests at once, and resolves when all are answered. */
  private async flushAcks(): Promise<void> {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    clearTimeout(this.ackRetryTimer);
    this.ackRetryTimer = undefined;
    while (this.ackQueue.length > 0 || this.acksInFlight.size > 0) {
      // Once a batch came back UNAVAILABLE or TIMEOUT the queue waits for the retry timer.
      while (
        this.ackRetryTimer === undefined &&
        this.ackQueue.length > 0 &&
        this.acksInFlight.size < ACKS_IN_FLIGHT
      ) {
        const batch = [...new Set(this.ackQueue.splice(0, ACK_BATCH_MAX))];
        const sent: Promise<unknown> = this.ack(batch)
          .then(
            () => {
              this.ackRetries = 0;
            },
            (err: unknown) => this.ackFailed(batch, err),
          )
          .finally(() => this.acksInFlight.delete(sent));
        this.acksInFlight.add(sent);
      }
      if (this.acksInFlight.size === 0) return;
      await Promise.race(this.acksInFlight);
    }
  }

  /**
   * An ack lost with the connection is harmless: the entries come back on the next sync. One the
   * gateway answered with UNAVAILABLE or that timed out (its log was failing over) is not: the entries
   * stay pending on the server with nothing to bring them back while this socket lives, and the sender
   * would never get its delivered receipt. Those go back to the front of the queue and are sent again
   * after a growing pause; the batches still in flight carry on meanwhile.
   */
  private ackFailed(batch: readonly string[], err: unknown): void {
    const retryable = err instanceof ChatError && (err.code === 'UNAVAILABLE' || err.code === 'TIMEOUT');
    if (this.stopped || !retryable || !this.ready) return;
    this.ackQueue.unshift(...batch);
    if (this.ackRetryTimer !== undefined) return;
    const delay = Math.min(ACK_RETRY_MS * 2 ** this.ackRetries++, 2000);
    this.ackRetryTimer = setTimeout(() => {
      this.ackRetryTimer = undefined;
      void this.flushAcks().catch(() => undefined);
    }, delay);
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
    for (const p of this.pending.values()) {
      if (p.sent) p.resend = true;
      p.sent = false;
    }
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
