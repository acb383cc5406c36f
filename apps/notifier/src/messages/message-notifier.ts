import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import type { JsMsg } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { parseConversationSubject, PersonalDataVault, type ChatEvent, type MessageSent } from '#libs/events';
import { NatsClient } from '#libs/nats';
import { CLOCK, DependencyUnavailableError, LOGGER, MetricsService, type Clock } from '#libs/platform';
import { ConversationStore, entryId, InboxStore, ProfileStore } from '#libs/read-models';
import { DeliveryNoticesListener } from '../delivery/delivery-notices-listener.js';
import type { DeviceConnectivity } from '../delivery/device-connectivity.js';
import { PushDispatcher } from '../delivery/push-dispatcher.js';
import { PushLedger } from '../delivery/push-ledger.js';
import { PushDirectory, type DeviceTokens } from '../directory/push-directory.js';
import type { PushPolicyConfig } from '../push.config.js';
import { DEVICE_CONNECTIVITY, PUSH_POLICY } from '../tokens.js';
import { ConversationMembers } from './conversation-members.js';
import { readHead, type MessageHead } from './message-head.js';
import { notificationContent } from './notification-content.js';

interface Target extends DeviceTokens {
  readonly userId: string;
}

interface Position {
  readonly partition: number;
  readonly seq: number;
}

/** Thrown so the consumer retries the event later: devices already decided are skipped then. */
export class PushClaimHeld extends Error {
  constructor(deviceId: string, messageId: string) {
    super(`push of ${messageId} to ${deviceId} is held by another attempt`);
    this.name = 'PushClaimHeld';
  }
}

/** How long to wait for the projector to apply the message before giving the event back for a retry. */
const PROJECTION_WAIT_MS = 20_000;

/**
 * For each MessageSent: the recipient devices that have push tokens get a push if, once the grace period
 * is over, they are not connected and the message is still in their inbox (an acknowledged message has
 * left it). Each (device, message) is claimed in the ledger first, so a redelivery or another instance
 * never pushes twice. The event is acknowledged only when every push is decided.
 *
 * Cost: members (folded from the log, kept per conversation) and tokens, mutes and preview (the USERS
 * stream, in memory) are read from memory, so a message none of whose recipients has a token costs only
 * its decoding. A device with a token that acknowledged within the grace period (a gateway's acked
 * notice) costs no round trip either; only a device that may be offline is checked in Redis, then
 * Cassandra.
 */
@Injectable()
export class MessageNotifier {
  private readonly skipped;

  constructor(
    private readonly nats: NatsClient,
    private readonly members: ConversationMembers,
    private readonly directory: PushDirectory,
    private readonly notices: DeliveryNoticesListener,
    private readonly conversations: ConversationStore,
    private readonly profiles: ProfileStore,
    private readonly inbox: InboxStore,
    private readonly ledger: PushLedger,
    private readonly dispatcher: PushDispatcher,
    private readonly vault: PersonalDataVault<ChatEvent>,
    @Inject(DEVICE_CONNECTIVITY) private readonly connectivity: DeviceConnectivity,
    @Inject(PUSH_POLICY) private readonly policy: Readonly<PushPolicyConfig>,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(MetricsService) metrics: MetricsService,
  ) {
    this.skipped = metrics.counter(
      'chat_push_skipped_total',
      'Recipient devices that got no push, by reason',
      ['reason'],
    );
  }

  async handle(msg: JsMsg): Promise<void> {
    const read = readHead(msg.data);
    if (read.kind === 'other') return;
    let decoded: MessageSent | undefined;
    let head: MessageHead;
    if (read.kind === 'sent') head = read.head;
    else {
      const event = await this.vault.decode(msg.data);
      if (event.type !== 'MessageSent') return;
      decoded = event;
      head = {
        ...event.data,
        sentAtMs: Date.parse(event.data.sentAt),
        withheldFrom: event.data.withheldFrom ?? [],
      };
    }
    const place = parseConversationSubject(this.nats.topology, msg.subject);
    if (!place) return;
    if (this.clock.now().getTime() - head.sentAtMs > this.policy.PUSH_MAX_AGE_MS) {
      this.skipped.inc({ reason: 'too_old' });
      return;
    }
    const targets = await this.targets(head);
    if (targets.length === 0) return;
    // Someone may get a push: now the event is decoded in full (schema checked, personal fields opened).
    const event = decoded ?? (await this.vault.decode(msg.data));
    if (event.type !== 'MessageSent') return;
    await this.withHeartbeat(msg, event.data.messageId, (held) =>
      this.notifyTargets(event, targets, { partition: place.partition, seq: msg.seq }, held),
    );
  }

  /**
   * While a message with targets is handled (grace period, queueing behind a slow provider, retries), a
   * heartbeat keeps JetStream from redelivering it and keeps this attempt's claims from lapsing.
   */
  private async withHeartbeat(
    msg: JsMsg,
    messageId: string,
    work: (held: Set<string>) => Promise<void>,
  ): Promise<void> {
    const held = new Set<string>();
    const every = Math.max(
      200,
      Math.floor(Math.min(this.policy.PUSH_ACK_WAIT_MS, this.policy.PUSH_CLAIM_LEASE_MS) / 3),
    );
    const heartbeat = setInterval(() => {
      msg.working();
      for (const deviceId of held)
        this.ledger
          .extend(deviceId, messageId)
          .catch((err: unknown) =>
            this.logger.warn({ deviceId, messageId, err: String(err) }, 'claim not extended'),
          );
    }, every);
    try {
      await work(held);
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async notifyTargets(
    event: MessageSent,
    targets: readonly Target[],
    position: Position,
    held: Set<string>,
  ): Promise<void> {
    const d = event.data;
    await Promise.all(targets.map((t) => this.ledger.seen(t.deviceId, d.conversationId, d.messageId)));
    // Waited for during the grace period, not after it: a push is not later than the grace for it.
    const applied = this.projected(position, d.conversationId);
    applied.catch(() => undefined); // awaited below by the devices that need it
    await sleep(Math.max(0, Date.parse(d.sentAt) + this.policy.PUSH_GRACE_MS - this.clock.now().getTime()));
    const projected = (): Promise<void> => applied;
    await Promise.all(targets.map((t) => this.notifyDevice(t, event, position, projected, held)));
  }

  /**
   * Waits until the projector has applied this event, so "not in the inbox" means acknowledged: at once
   * when its progress notice says so, else by reading the conversation's applied position.
   */
  private async projected(position: Position, conversationId: string): Promise<void> {
    const deadline = Date.now() + PROJECTION_WAIT_MS;
    for (;;) {
      if (this.notices.persisted(position.partition, position.seq)) return;
      // A projector that publishes its progress is waited for in memory; otherwise its row is read.
      if (!this.notices.heardFrom(position.partition)) {
        const row = await this.conversations.get(conversationId);
        if (row && row.appliedSequence >= position.seq) return;
      }
      if (Date.now() > deadline)
        // The projector lags (its database may be down): retried for as long as it takes, never dropped.
        throw new DependencyUnavailableError(
          `conversation ${conversationId} not projected up to ${position.seq}`,
        );
      await sleep(50);
    }
  }

  /** Members' devices with a push token, except the sending device and users who muted the conversation. */
  private async targets(d: MessageHead): Promise<Target[]> {
    const members = await this.members.at(d.conversationId, d.membershipVersion);
    const now = this.clock.now().getTime();
    const out: Target[] = [];
    for (const userId of members) {
      if (!this.directory.hasTokens(userId) || d.withheldFrom.includes(userId)) continue;
      const devices = this.directory.devicesOf(userId).filter((t) => t.deviceId !== d.senderDeviceId);
      if (devices.length === 0) continue;
      if (this.directory.isMuted(userId, d.conversationId, now)) {
        this.skipped.inc({ reason: 'muted' });
        continue;
      }
      for (const device of devices) out.push({ userId, ...device });
    }
    return out;
  }

  private async notifyDevice(
    t: Target,
    event: MessageSent,
    position: Position,
    projected: () => Promise<void>,
    held: Set<string>,
  ): Promise<void> {
    const d = event.data;
    if (this.notices.acknowledged(t.deviceId, entryId(position)))
      return void this.skipped.inc({ reason: 'acknowledged' });
    if (await this.connectivity.isConnected(t.userId, t.deviceId))
      return void this.skipped.inc({ reason: 'connected' });
    await projected();
    if (!(await this.inbox.find(t.userId, t.deviceId, position)))
      return void this.skipped.inc({ reason: 'acknowledged' });
    if (await this.ledger.superseded(t.deviceId, d.conversationId, d.messageId))
      return void this.skipped.inc({ reason: 'collapsed' });
    const claim = await this.ledger.claim(t.deviceId, d.messageId);
    if (claim === 'taken') return void this.skipped.inc({ reason: 'already_pushed' });
    // Another attempt holds the lease (alive, or killed before sending): the event comes back after it.
    if (claim === 'held') throw new PushClaimHeld(t.deviceId, d.messageId);
    held.add(t.deviceId);
    const [count, sender] = await Promise.all([
      this.ledger.takeCount(t.deviceId, d.conversationId),
      this.profiles.get(d.senderUserId), // issue 18: a display name, never the phone number
    ]);
    const notification = notificationContent(event, {
      senderName: sender?.profile.displayName ?? 'Someone',
      preview: this.directory.preview(t.userId),
      count,
    });
    let marked: Promise<void> | undefined;
    const beforeSend = (): Promise<void> =>
      (marked ??= this.ledger.sending(t.deviceId, d.messageId).then(() => void held.delete(t.deviceId)));
    const results = await Promise.all(
      t.tokens.map((token) =>
        this.dispatcher.dispatch(
          { userId: t.userId, deviceId: t.deviceId, token },
          notification,
          new Date(d.sentAt),
          beforeSend,
        ),
      ),
    );
    await this.ledger.done(t.deviceId, d.messageId);
    held.delete(t.deviceId);
    this.logger.debug({ deviceId: t.deviceId, messageId: d.messageId, results, count }, 'push decided');
  }
}
