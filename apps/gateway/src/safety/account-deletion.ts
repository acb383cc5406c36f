import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { CASSANDRA_CLIENT, type CqlClient } from '#libs/cassandra';
import { forgottenSubject, userSubject, type ChatEvent, type UserForgotten } from '#libs/events';
import { CHAT_EVENT_STORE, EventStore, LiveDeliveryBus, NatsClient, UserCommandHandler } from '#libs/nats';
import { CLOCK, LOGGER, type Clock } from '#libs/platform';
import {
  CassandraPersonalKeyStore,
  ConversationStore,
  conversationsOf,
  ReadModelScrubber,
} from '#libs/read-models';
import { REDIS, scrubSessions } from '#libs/redis';
import { ObjectStore } from '#libs/s3';
import { PhoneAccounts } from '../auth/phone-accounts.js';
import type { DeviceIdentity } from '../auth/token.service.js';
import { VerificationCodeService } from '../auth/verification-code.service.js';
import { GroupCommands } from '../groups/group-commands.js';
import { ApiError, accepted } from '../http/api-error.js';

/** Conversations of the user's list a deletion walks (groups are left one by one). */
const LIST_LIMIT = 100_000;
const REQUESTED_BY = 'the user (DELETE /v1/me)';

/**
 * Deletes an account at its owner's request, confirmed with a fresh code sent to its number: every group
 * left (a system message in each), then the devices, contact set and avatar removed and the account
 * closed (AccountDeleted: the number signs up again as a new account), then what `chatctl forget` does:
 * the data key destroyed (phone, device names, profile texts and message texts unreadable everywhere),
 * every token refused, sockets closed, the read models scrubbed, and UserForgotten appended as the audit
 * record. Others then see the user's messages from an account whose profile says `deleted`.
 */
@Injectable()
export class AccountDeletion {
  constructor(
    private readonly users: UserCommandHandler,
    private readonly codes: VerificationCodeService,
    private readonly accounts: PhoneAccounts,
    private readonly groups: GroupCommands,
    private readonly conversations: ConversationStore,
    private readonly live: LiveDeliveryBus,
    private readonly keys: CassandraPersonalKeyStore,
    private readonly objects: ObjectStore,
    private readonly nats: NatsClient,
    @Inject(CHAT_EVENT_STORE) private readonly store: EventStore<ChatEvent>,
    @Inject(CASSANDRA_CLIENT) private readonly cql: CqlClient,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async delete(me: DeviceIdentity, code: string): Promise<void> {
    const { state } = await this.users.load(me.userId);
    if (state.status !== 'active') throw new ApiError('NOT_FOUND', 'no such user');
    const { phone } = state;
    await this.codes.verify(phone, code);
    const deviceIds = [...state.devices.keys()];

    await this.leaveGroups(me.userId);
    accepted(
      await this.users.handle(
        me.userId,
        { type: 'DeleteAccount', ...this.accounts.generationOf(phone, me.userId) },
        { now: this.clock.now() },
      ),
    );

    // As `chatctl forget`: tokens refused from now on, sockets closed on every gateway, the key gone.
    // The flag refuses every token at its next check; the revocation closes the sockets (4403).
    await scrubSessions(this.redis, me.userId, deviceIds, phone);
    this.live.revoke(me.userId, deviceIds);
    const now = this.clock.now();
    await this.keys.destroy(me.userId, REQUESTED_BY, now);
    this.nats.nc.publish(forgottenSubject(this.nats.topology, me.userId));
    await this.audit(me.userId, now);
    const summary = await new ReadModelScrubber(
      this.cql,
      this.objects,
      this.nats.topology.partitions,
      () => {},
    ).scrub(me.userId, await conversationsOf(this.cql, me.userId));
    this.logger.info({ userId: me.userId, ...summary }, 'account deleted');
  }

  private async leaveGroups(userId: string): Promise<void> {
    const list = await this.conversations.listForUser(userId, LIST_LIMIT);
    for (const c of list.filter((x) => x.kind === 'group')) {
      try {
        await this.groups.run(c.conversationId, (systemMessageId) => ({
          type: 'LeaveGroup',
          userId,
          systemMessageId,
        }));
      } catch (err) {
        // Left already (the list follows the log): nothing to do there.
        if (!(err instanceof ApiError && err.code === 'NOT_A_MEMBER')) throw err;
      }
    }
  }

  /** UserForgotten, once (its id makes a second append a duplicate), as `chatctl forget` appends it. */
  private async audit(userId: string, now: Date): Promise<void> {
    const event: UserForgotten = {
      type: 'UserForgotten',
      version: 1,
      id: `forget.${userId}`,
      occurredAt: now.toISOString(),
      data: { userId, requestedBy: REQUESTED_BY, requestedAt: now.toISOString() },
    };
    await this.store.append(userSubject(this.nats.topology, userId), event, { msgId: `forget.${userId}` });
  }
}
