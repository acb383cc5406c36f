import { ChatClient, ChatError, ChatHttpClient } from '#libs/client-sdk';
import {
  CLOSE_CODES,
  type ConversationSummary,
  type GroupInfo,
  type InboxMessage,
  type MediaKind,
  type PresenceState,
  type Receipt,
} from '#libs/protocol';
import { kindOf, uploadErrorText, uploadFile } from '../media/upload.js';
import { clearSession, TokenKeeper, type StoredSession } from '../session/session.js';
import { Contacts } from './contacts.js';
import {
  compareMessages,
  fromServer,
  type Conversation,
  type TickStatus,
  type TimelineMessage,
  type Upload,
} from './model.js';
import { Outbox, type OutboxItem } from './outbox.js';
import { ReceiptBook } from './receipts.js';

/** `replaced`: another window of this browser (the same device) took the connection over. */
export type ConnectionState = 'connecting' | 'online' | 'offline' | 'replaced';

const PAGE = 30;
/** Errors after which a send is tried again on the next connection (same clientMessageId). */
const RETRIABLE = new Set(['UNAVAILABLE', 'TIMEOUT', 'RATE_LIMITED']);

/**
 * Everything the screens show, and the actions that change it. One ChatClient (the SDK) per stretch
 * of network: the browser's offline event closes it, the online event opens a new one, and the outbox
 * carries what was written in between.
 */
export class ChatStore {
  readonly http: ChatHttpClient;
  readonly tokens: TokenKeeper;
  readonly contacts: Contacts;
  readonly outbox: Outbox;
  connection: ConnectionState = 'connecting';
  conversations = new Map<string, Conversation>();
  openId?: string;
  readonly messages = new Map<string, TimelineMessage[]>();
  readonly moreHistory = new Map<string, boolean>();
  readonly typing = new Map<string, Map<string, 'typing' | 'recording'>>();
  readonly presence = new Map<string, PresenceState>();
  readonly uploads: Upload[] = [];
  groupInfo?: GroupInfo;
  notice?: string;
  private readonly receipts = new Map<string, ReceiptBook>();
  private client?: ChatClient;
  private readonly sending = new Set<string>();
  /** Conversations whose summary is being fetched (a new one announced by its first messages). */
  private readonly fetching = new Set<string>();
  private readonly listeners = new Set<() => void>();
  private readTimer?: number;
  private stopped = false;

  constructor(
    readonly session: StoredSession,
    baseUrl: string,
    private readonly onSignedOut: () => void,
  ) {
    this.http = new ChatHttpClient({ baseUrl, fetch: (...a) => fetch(...a) });
    this.tokens = new TokenKeeper(this.http, session, () => void this.signOut(false));
    this.contacts = new Contacts(`chat.contacts.${session.userId}`);
    if (session.phone) this.contacts.remember(session.phone, session.userId);
    this.outbox = new Outbox(`chat.outbox.${session.deviceId}`);
    for (const item of this.outbox.all()) this.insert(this.pendingMessage(item));
  }

  get me(): string {
    return this.session.userId;
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  start(): void {
    window.addEventListener('offline', this.goOffline);
    window.addEventListener('online', this.goOnline);
    document.addEventListener('visibilitychange', this.scheduleRead);
    if (navigator.onLine) this.goOnline();
    else this.goOffline();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    window.removeEventListener('offline', this.goOffline);
    window.removeEventListener('online', this.goOnline);
    document.removeEventListener('visibilitychange', this.scheduleRead);
    await this.dropClient();
  }

  private readonly goOffline = (): void => {
    this.connection = 'offline';
    void this.dropClient();
    this.changed();
  };

  /** Takes the connection back after another window of this device took it over. */
  reconnect(): void {
    this.goOnline();
  }

  private readonly goOnline = (): void => {
    if (this.stopped) return;
    void this.dropClient();
    this.connection = 'connecting';
    this.changed();
    const client = new ChatClient({
      urls: [`${location.origin.replace(/^http/, 'ws')}/v1/ws`],
      getAccessToken: () => this.tokens.accessToken(),
      reconnect: { initialDelayMs: 200, maxDelayMs: 5000 },
    });
    this.client = client;
    client.on('message', (m) => this.onMessage(m));
    client.on('receipt', (r) => this.onReceipt(r));
    client.on('presence', (p) => {
      this.presence.set(p.userId, p);
      this.changed();
    });
    client.on('typing', (t) => this.onTyping(t.conversationId, t.userId, t.state));
    client.on('connected', () => void this.onConnected(client));
    client.on('disconnected', ({ code }) => {
      if (this.client !== client || this.connection === 'offline') return;
      this.connection = code === CLOSE_CODES.replaced ? 'replaced' : 'connecting';
      this.changed();
    });
    client.on('revoked', () => void this.signOut(false));
    client.on('error', () => undefined); // the SDK reconnects by itself; the banner shows the state
    client.connect().catch(() => undefined);
  };

  private async dropClient(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (!c) return;
    c.removeAllListeners();
    c.on('error', () => undefined);
    await c.close().catch(() => undefined);
  }

  private get chat(): ChatClient {
    if (!this.client || this.connection !== 'online') throw new ChatError('UNAVAILABLE', 'not connected');
    return this.client;
  }

  private async onConnected(client: ChatClient): Promise<void> {
    if (this.client !== client) return;
    this.connection = 'online';
    this.changed();
    try {
      const { conversations } = await client.listConversations(100);
      for (const c of conversations) this.upsertSummary(c);
      this.changed();
      if (this.openId) await this.watchOpen();
    } catch {
      // a lost answer: the next connection lists again
    }
    void this.flushOutbox();
  }

  /**
   * Merges a summary from the server with what arrived live. The read models trail live delivery, so a
   * summary may not count yet the messages this page already shows: the newer last message wins, and
   * a conversation seen for the first time counts its live messages as unread (and their mentions).
   */
  private upsertSummary(c: ConversationSummary): void {
    const id = c.conversationId;
    const old = this.conversations.get(id);
    const live = this.timeline(id).filter((m) => m.messageId);
    const candidates = [c.lastMessage ? fromServer(c.lastMessage) : undefined, old?.lastMessage, live.at(-1)];
    const last = candidates
      .filter((m): m is TimelineMessage => m !== undefined)
      .sort(compareMessages)
      .at(-1);
    const unseen = old ? [] : live.filter((m) => m.senderUserId !== this.me && !m.system);
    const open = id === this.openId;
    this.conversations.set(id, {
      ...c,
      ...(last ? { lastMessage: last } : {}),
      unreadCount: open ? 0 : Math.max(c.unreadCount, unseen.length),
      mentioned:
        !open && (c.mentioned || old?.mentioned || unseen.some((m) => m.mentions?.includes(this.me)))
          ? true
          : undefined,
      lastActivityAt: [c.lastActivityAt, old?.lastActivityAt ?? '', last?.sentAt ?? ''].sort().at(-1)!,
    });
  }

  /** Conversations, latest activity first. */
  list(): Conversation[] {
    return [...this.conversations.values()].sort((a, b) =>
      a.lastActivityAt < b.lastActivityAt ? 1 : a.lastActivityAt > b.lastActivityAt ? -1 : 0,
    );
  }

  timeline(conversationId: string): TimelineMessage[] {
    return this.messages.get(conversationId) ?? [];
  }

  statusOf(m: TimelineMessage): TickStatus {
    return this.book(m.conversationId).statusOf(m);
  }

  private book(conversationId: string): ReceiptBook {
    let b = this.receipts.get(conversationId);
    if (!b) this.receipts.set(conversationId, (b = new ReceiptBook()));
    return b;
  }

  /** Adds or replaces a message (matched by server id, or by client id for my own). */
  private insert(m: TimelineMessage): void {
    const list = this.messages.get(m.conversationId) ?? [];
    const i = list.findIndex(
      (x) =>
        (m.messageId !== undefined && x.messageId === m.messageId) ||
        (x.senderUserId === m.senderUserId && x.clientMessageId === m.clientMessageId),
    );
    const next = i >= 0 ? list.map((x, j) => (j === i ? m : x)) : [...list, m];
    next.sort(compareMessages);
    this.messages.set(m.conversationId, next);
  }

  private pendingMessage(item: OutboxItem): TimelineMessage {
    return {
      clientMessageId: item.clientMessageId,
      conversationId: item.conversationId,
      senderUserId: this.me,
      text: item.text ?? '',
      ...(item.media
        ? { media: { ...item.media, ...(item.mediaKind ? { kind: item.mediaKind } : {}) } }
        : {}),
      ...(item.replyTo ? { replyTo: item.replyTo } : {}),
      ...(item.mentions ? { mentions: item.mentions } : {}),
      sentAt: item.writtenAt,
    };
  }

  private onMessage(m: InboxMessage): void {
    const t = fromServer(m);
    this.insert(t);
    const conv = this.conversations.get(m.conversationId);
    if (!conv) {
      if (!this.fetching.has(m.conversationId)) {
        this.fetching.add(m.conversationId);
        void this.fetchSummary(m.conversationId).finally(() => this.fetching.delete(m.conversationId));
      }
    } else {
      conv.lastMessage = t;
      if (m.sentAt > conv.lastActivityAt) conv.lastActivityAt = m.sentAt;
      const fromOther = m.senderUserId !== this.me && !m.system;
      if (fromOther && m.conversationId !== this.openId) conv.unreadCount++;
      if (fromOther && m.mentions?.includes(this.me) && m.conversationId !== this.openId)
        conv.mentioned = true;
      if (m.system && conv.kind === 'group') void this.refreshMembers(m.conversationId);
    }
    if (m.conversationId === this.openId) this.scheduleRead();
    this.changed();
  }

  /**
   * Fetches a conversation's summary. A conversation I was just added to may not be in the read
   * models yet (NOT_A_MEMBER for a moment after its first event), so it is asked again a few times.
   */
  private async fetchSummary(conversationId: string, attempts = 6): Promise<void> {
    for (let i = 0; i < attempts; i++) {
      try {
        this.upsertSummary(await this.chat.getConversation(conversationId));
        this.changed();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 250 * 2 ** i));
      }
    }
  }

  private async refreshMembers(conversationId: string): Promise<void> {
    await this.fetchSummary(conversationId);
    if (this.groupInfo?.conversationId === conversationId) await this.loadGroupInfo();
  }

  private onReceipt(r: Receipt): void {
    const conv = this.conversations.get(r.conversationId);
    if (r.userId === this.me && r.status === 'read' && conv) {
      conv.unreadCount = 0; // read on another of my devices
      conv.mentioned = undefined;
    }
    if (this.book(r.conversationId).apply(r, this.me, conv?.kind === 'group') || conv) this.changed();
  }

  private onTyping(conversationId: string, userId: string, state: 'typing' | 'recording' | 'stopped'): void {
    const m = this.typing.get(conversationId) ?? new Map<string, 'typing' | 'recording'>();
    if (state === 'stopped') m.delete(userId);
    else m.set(userId, state);
    this.typing.set(conversationId, m);
    this.changed();
  }

  whoIsTyping(conversationId: string): Array<[string, 'typing' | 'recording']> {
    return [...(this.typing.get(conversationId) ?? new Map<string, 'typing' | 'recording'>())].filter(
      ([u]) => u !== this.me,
    );
  }

  // ---- opening a conversation, history, reading ----

  async open(conversationId: string | undefined): Promise<void> {
    this.openId = conversationId;
    this.groupInfo = undefined;
    this.notice = undefined;
    this.changed();
    if (!conversationId) return;
    const conv = this.conversations.get(conversationId);
    if (conv) {
      conv.unreadCount = 0;
      conv.mentioned = undefined;
    }
    if (!this.moreHistory.has(conversationId)) await this.loadOlder(conversationId);
    await this.watchOpen();
    this.scheduleRead();
  }

  private async watchOpen(): Promise<void> {
    const conv = this.openId ? this.conversations.get(this.openId) : undefined;
    if (!conv) return;
    try {
      const others = conv.members.filter((u) => u !== this.me).slice(0, 256);
      for (const p of await this.chat.watchPresence(others, conv.conversationId))
        this.presence.set(p.userId, p);
    } catch (err) {
      // PRESENCE_HIDDEN: they share nothing with me; watch typing only.
      if (err instanceof ChatError && err.code === 'PRESENCE_HIDDEN')
        await this.chat.watchPresence([], conv.conversationId).catch(() => undefined);
    }
    this.changed();
  }

  /** One page further back through `history.get`; answers whether there is more. */
  async loadOlder(conversationId: string): Promise<boolean> {
    const known = this.timeline(conversationId).filter((m) => m.messageId);
    const oldest = known[0]?.messageId;
    try {
      const { messages } = await this.chat.history(conversationId, {
        limit: PAGE,
        ...(oldest ? { before: oldest } : {}),
      });
      for (const m of messages) this.insert(fromServer(m));
      this.moreHistory.set(conversationId, messages.length === PAGE);
      if (!oldest) void this.learnTicks(conversationId, messages.map(fromServer));
    } catch {
      this.moreHistory.set(conversationId, false);
    }
    this.changed();
    return this.moreHistory.get(conversationId) ?? false;
  }

  /**
   * Receipts already acknowledged before this page loaded are not sent again: ask `message.info` for
   * my latest message's state, which (receipts being cumulative for reads) sets the ticks of the page.
   */
  private async learnTicks(conversationId: string, page: TimelineMessage[]): Promise<void> {
    const mine = page.filter((m) => m.senderUserId === this.me && m.messageId && !m.system).slice(-5);
    for (const m of mine) {
      try {
        const info = await this.chat.messageInfo(conversationId, m.messageId!);
        const all = info.members.length > 0;
        if (all && info.members.every((x) => x.readAt)) this.book(conversationId).learn(m.messageId!, 'read');
        else if (all && info.members.every((x) => x.deliveredAt))
          this.book(conversationId).learn(m.messageId!, 'delivered');
      } catch {
        return;
      }
    }
    this.changed();
  }

  private readonly scheduleRead = (): void => {
    clearTimeout(this.readTimer);
    this.readTimer = window.setTimeout(() => void this.markRead(), 150);
  };

  private async markRead(): Promise<void> {
    if (!this.openId || document.visibilityState !== 'visible' || this.connection !== 'online') return;
    const last = [...this.timeline(this.openId)]
      .reverse()
      .find((m) => m.messageId && m.senderUserId !== this.me && !m.system);
    if (!last?.messageId) return;
    const conv = this.conversations.get(this.openId);
    if (conv) conv.unreadCount = 0;
    await this.chat.markRead(this.openId, last.messageId).catch(() => undefined);
  }

  // ---- sending ----

  sendText(conversationId: string, text: string, replyTo?: string): void {
    const conv = this.conversations.get(conversationId);
    const mentions = conv?.kind === 'group' ? this.mentionsIn(text, conv.members) : [];
    this.enqueue({
      clientMessageId: crypto.randomUUID(),
      conversationId,
      text,
      ...(replyTo ? { replyTo } : {}),
      ...(mentions.length ? { mentions } : {}),
      writtenAt: new Date().toISOString(),
    });
  }

  /** Members named as `@label` in the text. */
  mentionsIn(text: string, members: readonly string[]): string[] {
    return members.filter((u) => u !== this.me && text.includes(`@${this.contacts.label(u)}`));
  }

  private enqueue(item: OutboxItem): void {
    this.outbox.add(item);
    this.insert(this.pendingMessage(item));
    const conv = this.conversations.get(item.conversationId);
    if (conv) {
      conv.lastMessage = this.pendingMessage(item);
      conv.lastActivityAt = item.writtenAt;
    }
    this.changed();
    void this.flushOutbox();
  }

  /** Sends what waits, oldest first; each once at a time, so nothing goes twice from here. */
  async flushOutbox(): Promise<void> {
    for (const item of this.outbox.all()) {
      if (this.connection !== 'online' || !this.client) return;
      if (this.sending.has(item.clientMessageId)) continue;
      this.sending.add(item.clientMessageId);
      const client = this.client;
      const opts = {
        clientMessageId: item.clientMessageId,
        ...(item.replyTo ? { replyTo: item.replyTo } : {}),
      };
      const sent = item.media
        ? client.sendMedia(item.conversationId, item.media, opts)
        : client.send(item.conversationId, item.text ?? '', {
            ...opts,
            ...(item.mentions ? { mentions: item.mentions } : {}),
          });
      sent
        .then((r) => {
          this.outbox.remove(item.clientMessageId);
          const m = { ...this.pendingMessage(item), messageId: r.messageId, sentAt: r.sentAt };
          this.insert(m);
          const conv = this.conversations.get(item.conversationId);
          if (conv?.lastMessage?.clientMessageId === item.clientMessageId) conv.lastMessage = m;
        })
        .catch((err: unknown) => {
          if (err instanceof ChatError && RETRIABLE.has(err.code)) return; // stays in the outbox
          this.outbox.remove(item.clientMessageId);
          this.insert({
            ...this.pendingMessage(item),
            failed: err instanceof Error ? err.message : String(err),
          });
        })
        .finally(() => {
          this.sending.delete(item.clientMessageId);
          this.changed();
        });
    }
  }

  setTyping(conversationId: string, state: 'typing' | 'recording' | 'stopped'): void {
    if (this.connection !== 'online') return;
    this.chat.setTyping(conversationId, state).catch(() => undefined);
  }

  // ---- media ----

  async attach(conversationId: string, file: File, voice = false): Promise<void> {
    const contentType = (file.type || 'application/octet-stream').split(';')[0]!.trim();
    const kind: MediaKind = voice ? 'voice' : kindOf(contentType);
    const upload: Upload = { id: crypto.randomUUID(), conversationId, fileName: file.name, progress: 0 };
    this.uploads.push(upload);
    this.changed();
    try {
      const mediaId = await uploadFile(
        this.http,
        await this.tokens.accessToken(),
        file,
        contentType,
        kind,
        (p) => {
          upload.progress = p;
          this.changed();
        },
      );
      this.uploads.splice(this.uploads.indexOf(upload), 1);
      this.enqueue({
        clientMessageId: crypto.randomUUID(),
        conversationId,
        media: { mediaId, ...(file.name ? { fileName: file.name } : {}) },
        mediaKind: kind,
        writtenAt: new Date().toISOString(),
      });
    } catch (err) {
      upload.error = uploadErrorText(err);
      this.changed();
    }
  }

  dismissUpload(id: string): void {
    const i = this.uploads.findIndex((u) => u.id === id);
    if (i >= 0) this.uploads.splice(i, 1);
    this.changed();
  }

  async mediaUrl(m: TimelineMessage): Promise<string> {
    if (!m.media || !m.messageId) throw new ChatError('NOT_FOUND', 'no media');
    const r = await this.http.mediaDownloadUrl(
      await this.tokens.accessToken(),
      m.media.mediaId,
      m.conversationId,
      m.messageId,
    );
    return r.url;
  }

  // ---- people, chats and groups ----

  /** Finds registered users by phone number, remembering who is who for labels. */
  async lookup(phones: string[]): Promise<string[]> {
    const users = await this.http.lookup(await this.tokens.accessToken(), phones);
    for (const u of users) this.contacts.remember(u.phone, u.userId);
    const missing = phones.filter((p) => !users.some((u) => u.phone === p));
    if (missing.length) throw new ChatError('NOT_FOUND', `not registered: ${missing.join(', ')}`);
    return users.map((u) => u.userId);
  }

  async startDirect(phone: string): Promise<string> {
    const [userId] = await this.lookup([phone]);
    const { conversationId } = await this.chat.openDirect(userId!);
    await this.fetchSummary(conversationId);
    if (!this.conversations.has(conversationId))
      this.conversations.set(conversationId, {
        conversationId,
        kind: 'direct',
        members: [this.me, userId!],
        lastActivityAt: new Date().toISOString(),
        unreadCount: 0,
      });
    return conversationId;
  }

  async createGroup(subject: string, phones: string[]): Promise<string> {
    const members = phones.length ? await this.lookup(phones) : [];
    const { conversationId } = await this.chat.createGroup(subject, members);
    this.conversations.set(conversationId, {
      conversationId,
      kind: 'group',
      subject,
      members: [this.me, ...members],
      lastActivityAt: new Date().toISOString(),
      unreadCount: 0,
    });
    void this.fetchSummary(conversationId);
    return conversationId;
  }

  async loadGroupInfo(): Promise<void> {
    if (!this.openId) return;
    this.groupInfo = await this.chat.groupInfo(this.openId);
    this.changed();
  }

  async groupAction(
    action: 'add' | 'remove' | 'promote' | 'demote' | 'leave',
    conversationId: string,
    who?: string,
  ): Promise<void> {
    try {
      if (action === 'add') await this.chat.addMembers(conversationId, await this.lookup([who!]));
      else if (action === 'remove') await this.chat.removeMember(conversationId, who!);
      else if (action === 'promote') await this.chat.promote(conversationId, who!);
      else if (action === 'demote') await this.chat.demote(conversationId, who!);
      else await this.chat.leaveGroup(conversationId);
      this.notice = undefined;
      if (action !== 'leave') await this.refreshMembers(conversationId);
    } catch (err) {
      this.notice = err instanceof Error ? err.message : String(err);
    }
    this.changed();
  }

  async linkCode(): Promise<string> {
    return (await this.http.createLinkCode(await this.tokens.accessToken())).code;
  }

  /** Ends this device's session on the server (when it can) and forgets it here. */
  async signOut(tellServer = true): Promise<void> {
    if (tellServer)
      await this.http
        .removeDevice(await this.tokens.accessToken(), this.session.deviceId)
        .catch(() => undefined);
    await this.stop();
    this.outbox.clear();
    clearSession();
    this.onSignedOut();
  }
}
