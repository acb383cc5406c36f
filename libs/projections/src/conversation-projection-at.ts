import type { Logger } from 'pino';
import type { CqlClient } from '#libs/cassandra';
import type { RetentionConfig } from '#libs/config';
import type { ChatEvent, PersonalDataVault } from '#libs/events';
import type { NatsClient } from '#libs/nats';
import type { MetricsService } from '#libs/platform';
import {
  ConversationStore,
  GroupAggregateStore,
  GroupStore,
  MessageActionStore,
  type MessageExpiryStore,
  ReceiptStore,
  TimelineStore,
} from '#libs/read-models';
import type { ConversationFanOut } from './conversation-fan-out.js';
import { ConversationProjection } from './conversation.projection.js';
import { GroupProjection } from './group.projection.js';
import { GroupReceipts } from './group-receipts.js';
import type { MediaLinks } from './media-links.js';
import type { InboxRedaction } from './inbox-redaction.js';
import { MessageActionsProjection } from './message-actions.projection.js';

export interface ConversationProjectionDeps {
  readonly nats: NatsClient;
  readonly cql: CqlClient;
  readonly fanOut: ConversationFanOut;
  readonly mediaLinks: MediaLinks;
  /** Opens sealed personal fields (a forgotten user's read as forgotten). */
  readonly vault: PersonalDataVault<ChatEvent>;
  readonly retention: Readonly<RetentionConfig>;
  readonly logger: Logger;
  readonly metrics: MetricsService;
  /**
   * Set where the projection delivers: group aggregate receipts are computed and recorded only there.
   * A rebuild, or a version written silently during a hand-over, sends none and records none.
   */
  readonly groupAggregates?: GroupAggregateStore;
  /** Set where the projection delivers: a deleted message's content leaves undelivered inbox entries. */
  readonly inboxRedaction?: InboxRedaction;
  /** Set where the projection delivers: disappearing messages' expiries, for the projector's sweeper. */
  readonly expiries?: MessageExpiryStore;
}

/**
 * The conversation projection writing one version of the conversations read model. Every store of it
 * is pinned to that version, so an event is applied to one version whole even while readers switch;
 * its caches (conversations caught up, group receipt sets) belong to that version too. The projector
 * builds one for the version readers use, `chatctl rebuild conversations` one for the version it builds.
 */
export function conversationProjectionAt(
  version: number,
  deps: ConversationProjectionDeps,
): ConversationProjection {
  const conversations = new ConversationStore(deps.cql, version);
  const timeline = new TimelineStore(deps.cql, version);
  const receipts = new ReceiptStore(deps.cql, version);
  const groups = new GroupProjection(conversations, new GroupStore(deps.cql, version), timeline, deps.fanOut);
  return new ConversationProjection(
    deps.nats,
    conversations,
    timeline,
    receipts,
    deps.fanOut,
    deps.mediaLinks,
    groups,
    new GroupReceipts(receipts, conversations, timeline, deps.groupAggregates),
    deps.vault,
    deps.retention,
    deps.logger,
    deps.metrics,
    new MessageActionsProjection(
      new MessageActionStore(deps.cql, version),
      conversations,
      deps.fanOut,
      deps.mediaLinks,
      deps.retention,
      deps.logger,
      deps.inboxRedaction,
      deps.expiries,
    ),
  );
}
