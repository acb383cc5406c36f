import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  decideConversation,
  evolveConversation,
  initialConversationState,
  type ConversationCommand,
  type ConversationState,
} from '#libs/domain';
import {
  conversationSubject,
  eventCatalogue,
  type ChatEvent,
  type ConversationEvent,
  type ConversationSubjectKind,
} from '#libs/events';
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
 * Attempts of one command against concurrent membership changes: each conflict reloads the state and
 * decides again, so a change is applied once or rejected, never lost; two admins adding members at the
 * same moment both go through after at most a few rounds.
 */
const MAX_ATTEMPTS = 10;

/** The subject kind each conversation event is appended to, from the catalogue. */
const SUBJECT_KIND: ReadonlyMap<string, ConversationSubjectKind> = new Map(
  eventCatalogue.flatMap((d) => (d.subjectKind ? [[d.type, d.subjectKind] as const] : [])),
);

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
    this.remember(conversationId, fresh);
    return fresh;
  }

  private remember(conversationId: string, entry: Cached): void {
    if (this.cache.size >= CACHE_LIMIT && !this.cache.has(conversationId))
      this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(conversationId, entry);
  }

  /** Decides a command against the current state and appends its events; `msgId` makes the append idempotent. */
  async execute(
    conversationId: string,
    command: ConversationCommand,
    now: Date,
    msgId?: string,
  ): Promise<{ events: readonly ConversationEvent[]; acks: AppendResult[] }> {
    for (let attempt = 1; ; attempt++) {
      // A delivery receipt needs no fresh membership (it only names messages the device received, and
      // aggregates are counted against the projector's members): a cached state that accepts it saves
      // a round trip for each of a large group's thousand acks per message. A refusal is re-decided on
      // fresh state (the member may have joined since); everything else is decided fresh.
      const cached = command.type === 'AcknowledgeDelivery' ? this.cache.get(conversationId) : undefined;
      let loaded = cached ?? (await this.load(conversationId));
      const ctx = { now, newEventId: randomUUID };
      let decision = decideConversation(command, loaded.state, ctx);
      if (!decision.ok && cached) {
        loaded = await this.load(conversationId);
        decision = decideConversation(command, loaded.state, ctx);
      }
      if (!decision.ok) throw ApiError.fromDomain(decision.error);
      let { state, version } = loaded;
      try {
        const acks: AppendResult[] = [];
        for (const event of decision.events) {
          const kind = SUBJECT_KIND.get(event.type);
          if (!kind) throw new Error(`${event.type} has no subject kind in the catalogue`);
          const subject = conversationSubject(this.nats.topology, conversationId, kind);
          // Membership and settings are checked against the version they were decided on (the
          // subject's last sequence); messages and receipts never contend on it.
          const ack = await this.store.append(subject, event, {
            ...(msgId ? { msgId } : {}),
            ...(kind === 'meta' ? { expectedLastSubjectSequence: version } : {}),
          });
          acks.push(ack);
          if (kind === 'meta' && !ack.duplicate) {
            version = ack.seq;
            state = evolveConversation(state, event, ack.seq);
          }
        }
        if (version !== loaded.version) this.remember(conversationId, { state, version });
        return { events: decision.events, acks };
      } catch (err) {
        if (err instanceof ConcurrencyError) {
          if (attempt < MAX_ATTEMPTS) {
            // A little jitter so two busy admins do not collide again in lock step.
            await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
            continue;
          }
          throw new ApiError('UNAVAILABLE', 'the group is busy; try again');
        }
        throw err;
      }
    }
  }

  /** The stored MessageSent at a stream position (to answer a de-duplicated resend). */
  async storedEvent(stream: string, seq: number): Promise<ConversationEvent | undefined> {
    const msg = await this.nats.jsm.streams.getMessage(stream, { seq });
    return msg ? ((await this.store.decode(msg.data)) as ConversationEvent) : undefined;
  }
}
