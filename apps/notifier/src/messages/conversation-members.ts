import { Injectable } from '@nestjs/common';
import { evolveConversation, initialConversationState, type ConversationState } from '#libs/domain';
import { conversationSubject, PersonalDataVault, type ChatEvent, type ConversationEvent } from '#libs/events';
import { conversationStreamName, NatsClient } from '#libs/nats';
import { BoundedMap } from '#libs/platform';

interface Folded {
  readonly state: ConversationState;
  /** The meta subject's stream sequence folded up to. */
  readonly version: number;
}

/** Conversations whose membership is kept; the least recently folded is dropped first. */
const LIMIT = 100_000;

/**
 * A conversation's members as a MessageSent was decided against (its membershipVersion, the sequence of
 * the `.meta` event that last changed them), folded from the log and kept in memory: a conversation
 * costs direct gets the first time it is seen and after a membership change, nothing per message.
 */
@Injectable()
export class ConversationMembers {
  private readonly folded = new BoundedMap<string, Folded>(LIMIT);

  constructor(
    private readonly nats: NatsClient,
    private readonly vault: PersonalDataVault<ChatEvent>,
  ) {}

  async at(conversationId: string, membershipVersion: number): Promise<readonly string[]> {
    const cached = this.folded.get(conversationId);
    const state =
      cached?.state.status === 'active' && cached.state.membershipVersion === membershipVersion
        ? cached.state
        : await this.fold(conversationId, membershipVersion, cached);
    return state.status === 'active' ? [...state.members.keys()] : [];
  }

  /** Folds `.meta` up to and including `membershipVersion` (an older message folds afresh, uncached). */
  private async fold(
    conversationId: string,
    membershipVersion: number,
    cached: Folded | undefined,
  ): Promise<ConversationState> {
    const base: Folded =
      cached && cached.version < membershipVersion
        ? cached
        : { state: initialConversationState(), version: 0 };
    const stream = conversationStreamName(this.nats.topology, conversationId);
    const subject = conversationSubject(this.nats.topology, conversationId, 'meta');
    let { state, version } = base;
    while (version < membershipVersion) {
      const msg = await this.nats.jsm.direct.getMessage(stream, { seq: version + 1, next_by_subj: subject });
      if (!msg || msg.seq > membershipVersion) break;
      state = evolveConversation(state, (await this.vault.decode(msg.data)) as ConversationEvent, msg.seq);
      version = msg.seq;
    }
    if (version >= (cached?.version ?? 0)) {
      this.folded.set(conversationId, { state, version });
    }
    return state;
  }
}
