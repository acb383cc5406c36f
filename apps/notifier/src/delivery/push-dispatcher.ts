import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { PushProvider, PushToken } from '#libs/events';
import { deadLetterSubject, NatsClient } from '#libs/nats';
import { LOGGER, MetricsService } from '#libs/platform';
import type { PushPolicyConfig } from '../push.config.js';
import { type Notification, type PushSender, type SendOutcome } from '../senders/push-sender.js';
import { PUSH_POLICY, PUSH_SENDERS } from '../tokens.js';
import { Limiter } from './limiter.js';
import { PushTokenRemover } from './push-token-remover.js';

export interface PushTarget {
  readonly userId: string;
  readonly deviceId: string;
  readonly token: PushToken;
}

export type DispatchResult = 'accepted' | 'invalid-token' | 'failed' | 'dead-lettered' | 'disabled';

/**
 * Sends one notification to one token: bounded concurrency per provider (a slow provider queues only its
 * own pushes), retries with exponential backoff and full jitter on 429/5xx/timeouts (at least the
 * provider's Retry-After), none on permanent errors; removes a token the provider calls invalid; after
 * the last attempt, parks the notification on the dead-letter subject with the error.
 */
@Injectable()
export class PushDispatcher {
  private readonly limiters = new Map<PushProvider, Limiter>();
  private readonly sent;
  private readonly failed;
  private readonly retried;
  private readonly deadLettered;
  private readonly tokensRemoved;
  private readonly latency;

  constructor(
    @Inject(PUSH_SENDERS) private readonly senders: ReadonlyMap<PushProvider, PushSender>,
    @Inject(PUSH_POLICY) private readonly policy: Readonly<PushPolicyConfig>,
    private readonly remover: PushTokenRemover,
    private readonly nats: NatsClient,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(MetricsService) metrics: MetricsService,
  ) {
    const p = ['provider'] as const;
    this.sent = metrics.counter('chat_push_sent_total', 'Pushes a provider accepted', p);
    this.failed = metrics.counter('chat_push_failed_total', 'Pushes refused for good (incl. invalid token)', [
      'provider',
      'reason',
    ]);
    this.retried = metrics.counter('chat_push_retried_total', 'Push attempts retried', p);
    this.deadLettered = metrics.counter('chat_push_dead_lettered_total', 'Pushes dead-lettered', p);
    this.tokensRemoved = metrics.counter('chat_push_tokens_removed_total', 'Invalid tokens removed', p);
    this.latency = metrics.histogram(
      'chat_push_latency_seconds',
      'From MessageSent (sentAt) to the provider accepting the push',
      p,
      [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60],
    );
  }

  /** `beforeSend` runs once, holding the provider slot, just before the first request leaves. */
  async dispatch(
    target: PushTarget,
    n: Notification,
    sentAt: Date,
    beforeSend: () => Promise<void> = async () => undefined,
  ): Promise<DispatchResult> {
    const provider = target.token.provider;
    const sender = this.senders.get(provider);
    if (!sender?.enabled) {
      this.logger.debug({ provider }, 'push provider not configured; token skipped');
      return 'disabled';
    }
    let limiter = this.limiters.get(provider);
    if (!limiter)
      this.limiters.set(provider, (limiter = new Limiter(this.policy.PUSH_CONCURRENCY_PER_PROVIDER)));
    let last: SendOutcome = { kind: 'failed', error: 'not attempted' };
    for (let attempt = 1; attempt <= this.policy.PUSH_MAX_ATTEMPTS; attempt++) {
      // The slot is held for one request only: a push waiting for its backoff frees it.
      last = await limiter.run(async () => {
        if (attempt === 1) await beforeSend();
        return sender.send(target.token as never, n);
      });
      switch (last.kind) {
        case 'accepted':
          this.sent.inc({ provider });
          this.latency.observe({ provider }, Math.max(0, Date.now() - sentAt.getTime()) / 1000);
          return 'accepted';
        case 'invalid-token':
          this.failed.inc({ provider, reason: 'invalid_token' });
          await this.removeToken(target, last.error);
          return 'invalid-token';
        case 'failed':
          this.failed.inc({ provider, reason: 'permanent' });
          this.logger.warn({ provider, deviceId: target.deviceId, err: last.error }, 'push refused');
          return 'failed';
        case 'retry':
          if (attempt === this.policy.PUSH_MAX_ATTEMPTS) break;
          this.retried.inc({ provider });
          await sleep(this.backoff(attempt, last.retryAfterMs));
          break;
        default: {
          const _exhaustive: never = last;
          return _exhaustive;
        }
      }
    }
    await this.deadLetter(target, n, last.kind === 'retry' ? last.error : 'unknown');
    return 'dead-lettered';
  }

  /** Full jitter over an exponential ceiling, never sooner than the provider asked. */
  private backoff(attempt: number, retryAfterMs?: number): number {
    const ceiling = Math.min(
      this.policy.PUSH_RETRY_MAX_MS,
      this.policy.PUSH_RETRY_BASE_MS * 2 ** (attempt - 1),
    );
    const jittered = Math.random() * ceiling;
    return Math.min(
      Math.max(jittered, retryAfterMs ?? 0),
      Math.max(this.policy.PUSH_RETRY_MAX_MS, retryAfterMs ?? 0),
    );
  }

  private async removeToken(target: PushTarget, error: string): Promise<void> {
    const provider = target.token.provider;
    try {
      if (await this.remover.remove(target.userId, target.deviceId, target.token))
        this.tokensRemoved.inc({ provider });
      this.logger.info(
        { provider, userId: target.userId, deviceId: target.deviceId, err: error },
        'invalid push token removed',
      );
    } catch (err) {
      this.logger.error(
        { provider, deviceId: target.deviceId, err: String(err) },
        'could not remove invalid token',
      );
    }
  }

  private async deadLetter(target: PushTarget, n: Notification, error: string): Promise<void> {
    const provider = target.token.provider;
    this.deadLettered.inc({ provider });
    this.logger.error(
      { provider, deviceId: target.deviceId, messageId: n.messageId, err: error },
      'push dead-lettered',
    );
    const letter = {
      consumer: 'notifier',
      provider,
      userId: target.userId,
      deviceId: target.deviceId,
      conversationId: n.conversationId,
      messageId: n.messageId,
      attempts: this.policy.PUSH_MAX_ATTEMPTS,
      error,
      at: new Date().toISOString(),
    };
    await this.nats.js.publish(deadLetterSubject(this.nats.topology, 'notifier'), JSON.stringify(letter), {
      msgID: `notifier:${target.deviceId}:${n.messageId}:${provider}`,
    });
  }
}
