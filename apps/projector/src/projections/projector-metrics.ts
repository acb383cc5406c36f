import type { JsMsg } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { ConsumerObserver } from '#libs/nats';
import { errorMessageOf } from '#libs/nats';
import type { MetricsService } from '#libs/platform';

/**
 * Per-projection, per-stream series: events handled (rate() gives events applied per second), handler
 * errors, dead letters, and lag in events (consumer num_pending) and seconds (now minus the stream time of
 * the last applied event, while events are pending).
 */
export class ProjectorMetrics {
  private readonly handled;
  private readonly errors;
  private readonly deadLetters;
  private readonly lagEvents;
  private readonly lagSeconds;
  private readonly lastAppliedAt = new Map<string, number>();

  constructor(
    metrics: MetricsService,
    private readonly logger: Logger,
  ) {
    const labels = ['projection', 'stream'] as const;
    this.handled = metrics.counter(
      'chat_projector_events_handled_total',
      'Events a projection handled and acknowledged',
      labels,
    );
    this.errors = metrics.counter('chat_projector_errors_total', 'Handler failures (each attempt)', labels);
    this.deadLetters = metrics.counter(
      'chat_projector_dead_letters_total',
      'Events parked on the dead-letter subject after their retries ran out',
      labels,
    );
    this.lagEvents = metrics.gauge(
      'chat_projector_lag_events',
      'Events not yet handled (num_pending)',
      labels,
    );
    this.lagSeconds = metrics.gauge(
      'chat_projector_lag_seconds',
      'Seconds between now and the stream time of the last handled event, while events are pending',
      labels,
    );
  }

  observer(projection: string, stream: string): ConsumerObserver {
    const labels = { projection, stream };
    const key = `${projection}/${stream}`;
    return {
      applied: (msg: JsMsg) => {
        this.handled.inc(labels);
        this.lastAppliedAt.set(key, Number(msg.info.timestampNanos) / 1e6);
      },
      failed: () => this.errors.inc(labels),
      parked: (msg: JsMsg, err: unknown) => {
        this.deadLetters.inc(labels);
        this.logger.debug({ ...labels, seq: msg.seq, err: errorMessageOf(err) }, 'dead letter counted');
      },
    };
  }

  /** Called with each consumer's num_pending on every poll. */
  recordLag(projection: string, stream: string, pending: number, now: number): void {
    const labels = { projection, stream };
    this.lagEvents.set(labels, pending);
    const last = this.lastAppliedAt.get(`${projection}/${stream}`);
    this.lagSeconds.set(labels, pending > 0 && last !== undefined ? Math.max(0, (now - last) / 1000) : 0);
  }
}
