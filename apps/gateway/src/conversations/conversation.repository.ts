import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  decideConversation,
  evolveConversation,
  initialConversationState,
  type ConversationCommand,
  type ConversationState,
} from '#libs/domain';
import { conversationSubject, type ChatEvent, type ConversationEvent } from '#libs/events';
import {
  CHAT_EVENT_STORE,
  ConcurrencyError,
  conversationStreamName,
  EventStore,
  NatsClient,
  type AppendResult,
} from '#libs/nats';
import { ApiError } from '../http/api-error.js';

interface Cached {
  readonly state: ConversationState;
  readonly version: number;
}

const CACHE_LIMIT = 50_000;

/**
 * A conversation's membership state, folded from its `.meta` subject and cached; before each use the
 * cache is checked against the subject's last sequence (one direct get), so it is never stale.
 * Messages and receipts are appended without contention: only membership uses optimistic concurrency.
 */
@Injectable()
export class ConversationRepository {
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly nats: NatsClient,
    @Inject(CHAT_EVENT_STORE) private readonly store: EventStore<ChatEvent>,
  ) {}

  async load(conversationId: string): Promise<Cached> {
    const stream = conversationStreamName(this.nats.topology, conversationId);
    const subject = conversationSubject(this.nats.topology, conversationId, 'meta');
    const cached = this.cache.get(conversationId);
    const last = await this.store.lastSequence(stream, subject);
    if (cached && cached.version === last) return cached;
    let state = cached?.state ?? initialConversationState();
    let version = cached?.version ?? 0;
    for (const e of await this.store.read(stream, subject, version + 1)) {
      state = evolveConversation(state, e.event as ConversationEvent, e.streamSequence);
      version = e.streamSequence;
    }
    const fresh = { state, version };
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(conversationId, fresh);
    return fresh;
  }

  /** Decides a command against the current state and appends its events; `msgId` makes the append idempotent. */
  async execute(
    conversationId: string,
    command: ConversationCommand,
    now: Date,
    msgId?: string,
  ): Promise<{ events: readonly ConversationEvent[]; acks: AppendResult[] }> {
    for (let attempt = 1; ; attempt++) {
      const { state, version } = await this.load(conversationId);
      const decision = decideConversation(command, state, { now, newEventId: randomUUID });
      if (!decision.ok) throw ApiError.fromDomain(decision.error);
      try {
        const acks: AppendResult[] = [];
        for (const event of decision.events) {
          const kind =
            event.type === 'ConversationCreated' ? 'meta' : event.type === 'MessageSent' ? 'msg' : 'rcpt';
          const subject = conversationSubject(this.nats.topology, conversationId, kind);
          acks.push(
            await this.store.append(subject, event, {
              ...(msgId ? { msgId } : {}),
              // Membership changes are checked against the version they were decided on; messages are not.
              ...(kind === 'meta' ? { expectedLastSubjectSequence: version } : {}),
            }),
          );
        }
        return { events: decision.events, acks };
      } catch (err) {
        if (err instanceof ConcurrencyError && attempt < 5) continue;
        throw err;
      }
    }
  }

  /** The stored MessageSent at a stream position (to answer a de-duplicated resend). */
  async storedEvent(stream: string, seq: number): Promise<ConversationEvent | undefined> {
    const msg = await this.nats.jsm.streams.getMessage(stream, { seq });
    return msg ? (this.store.decode(msg.data) as ConversationEvent) : undefined;
  }
}
