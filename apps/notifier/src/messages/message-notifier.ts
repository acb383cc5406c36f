import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import type { JsMsg } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import {
  parseConversationSubject,
  PersonalDataVault,
  type ChatEvent,
  type MessageSent,
  type PushToken,
} from '#libs/events';
import { NatsClient } from '#libs/nats';
import { CLOCK, DependencyUnavailableError, LOGGER, MetricsService, type Clock } from '#libs/platform';
import { ConversationStore, DeviceStore, InboxStore, PushSettingsStore } from '#libs/read-models';
import type { DeviceConnectivity } from '../delivery/device-connectivity.js';
import { PushDispatcher } from '../delivery/push-dispatcher.js';
import { PushLedger } from '../delivery/push-ledger.js';
import type { PushPolicyConfig } from '../push.config.js';
import { DEVICE_CONNECTIVITY, PUSH_POLICY } from '../tokens.js';
import { notificationContent } from './notification-content.js';

interface Target {
  readonly userId: string;
  readonly deviceId: string;
  readonly tokens: readonly PushToken[];
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
 */
@Injectable()
export class MessageNotifier {
  private readonly skipped;

  constructor(
    private readonly nats: NatsClient,
    private readonly conversations: ConversationStore,
    private readonly devices: DeviceStore,
    private readonly inbox: InboxStore,
    private readonly settings: PushSettingsStore,
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

  /**
   * While an event is handled (grace period, queueing behind a slow provider, retries), a heartbeat keeps
   * JetStream from redelivering it and keeps this attempt's claims from lapsing.
   */
  async handle(msg: JsMsg): Promise<void> {
    const held = new Set<string>();
    const every = Math.max(
      200,
      Math.floor(Math.min(this.policy.PUSH_ACK_WAIT_MS, this.policy.PUSH_CLAIM_LEASE_MS) / 3),
    );
    let messageId = '';
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
      const event = await this.vault.decode(msg.data);
      if (event.type !== 'MessageSent') return;
      messageId = event.data.messageId;
      await this.handleSent(msg, event, held);
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async handleSent(msg: JsMsg, event: MessageSent, held: Set<string>): Promise<void> {
    const place = parseConversationSubject(this.nats.topology, msg.subject);
    if (!place) return;
    const sentAt = new Date(event.data.sentAt);
    if (this.clock.now().getTime() - sentAt.getTime() > this.policy.PUSH_MAX_AGE_MS) {
      this.skipped.inc({ reason: 'too_old' });
      return;
    }
    await this.projected(msg, event.data.conversationId);
    const targets = await this.targets(event);
    if (targets.length === 0) return;
    await Promise.all(
      targets.map((t) => this.ledger.seen(t.deviceId, event.data.conversationId, event.data.messageId)),
    );
    await sleep(Math.max(0, sentAt.getTime() + this.policy.PUSH_GRACE_MS - this.clock.now().getTime()));
    await Promise.all(
      targets.map((t) => this.notifyDevice(t, event, { partition: place.partition, seq: msg.seq }, held)),
    );
  }

  /** Waits until the projector has applied this event, so "not in the inbox" means acknowledged. */
  private async projected(msg: JsMsg, conversationId: string): Promise<void> {
    const deadline = Date.now() + PROJECTION_WAIT_MS;
    for (;;) {
      const row = await this.conversations.get(conversationId);
      if (row && row.appliedSequence >= msg.seq) return;
      if (Date.now() > deadline)
        // The projector lags (its database may be down): retried for as long as it takes, never dropped.
        throw new DependencyUnavailableError(`conversation ${conversationId} not projected up to ${msg.seq}`);
      await sleep(50);
    }
  }

  /** Members' devices with a push token, except the sending device and users who muted the conversation. */
  private async targets(event: MessageSent): Promise<Target[]> {
    const d = event.data;
    const row = await this.conversations.get(d.conversationId);
    if (!row) return [];
    const now = this.clock.now();
    const perUser = await Promise.all(
      row.members.map(async (userId): Promise<Target[]> => {
        const tokens = await this.settings.tokens(userId);
        if (tokens.length === 0) return [];
        if (await this.settings.isMuted(userId, d.conversationId, now)) {
          this.skipped.inc({ reason: 'muted' });
          return [];
        }
        const byDevice = new Map<string, PushToken[]>();
        for (const t of tokens) {
          if (t.deviceId === d.senderDeviceId) continue;
          byDevice.set(t.deviceId, [...(byDevice.get(t.deviceId) ?? []), t.token]);
        }
        return [...byDevice].map(([deviceId, list]) => ({ userId, deviceId, tokens: list }));
      }),
    );
    return perUser.flat();
  }

  private async notifyDevice(
    t: Target,
    event: MessageSent,
    position: { partition: number; seq: number },
    held: Set<string>,
  ): Promise<void> {
    const d = event.data;
    if (await this.connectivity.isConnected(t.userId, t.deviceId))
      return void this.skipped.inc({ reason: 'connected' });
    if (!(await this.inbox.find(t.userId, t.deviceId, position)))
      return void this.skipped.inc({ reason: 'acknowledged' });
    if (await this.ledger.superseded(t.deviceId, d.conversationId, d.messageId))
      return void this.skipped.inc({ reason: 'collapsed' });
    const claim = await this.ledger.claim(t.deviceId, d.messageId);
    if (claim === 'taken') return void this.skipped.inc({ reason: 'already_pushed' });
    // Another attempt holds the lease (alive, or killed before sending): the event comes back after it.
    if (claim === 'held') throw new PushClaimHeld(t.deviceId, d.messageId);
    held.add(t.deviceId);
    const [count, settings, phone] = await Promise.all([
      this.ledger.takeCount(t.deviceId, d.conversationId),
      this.settings.settings(t.userId),
      this.devices.phone(d.senderUserId),
    ]);
    const notification = notificationContent(event, {
      senderName: phone ?? 'Someone',
      preview: settings.preview,
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
