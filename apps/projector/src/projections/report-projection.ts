import { Inject, Injectable } from '@nestjs/common';
import type { UserEvent } from '#libs/events';
import { MetricsService } from '#libs/platform';
import { ReportStore } from '#libs/read-models';
import type { ProjectorConfig } from '../projector.config.js';
import { PROJECTOR_SETTINGS } from '../tokens.js';

/** Flagged users kept as labelled series: a bound on the gauge's cardinality. */
const FLAGGED_SERIES_MAX = 1000;

/**
 * Reports for the operators (`chatctl reports`), and the flag: a user reported by at least
 * REPORT_FLAG_THRESHOLD distinct accounts within REPORT_FLAG_WINDOW_SECONDS (judged at the report's own
 * time, so a replay judges the same) shows in `chat_reported_user_flagged{user_id}` (distinct reporters)
 * and counts once in `chat_reported_users_flagged_total` when the threshold is reached.
 */
@Injectable()
export class ReportProjection {
  private readonly reports;
  private readonly flaggedTotal;
  private readonly flaggedGauge;
  private readonly flagged = new Set<string>();

  constructor(
    private readonly store: ReportStore,
    @Inject(PROJECTOR_SETTINGS) private readonly config: Readonly<ProjectorConfig>,
    @Inject(MetricsService) metrics: MetricsService,
  ) {
    this.reports = metrics.counter('chat_reports_total', 'Reports users filed, by reason', ['reason']);
    this.flaggedTotal = metrics.counter(
      'chat_reported_users_flagged_total',
      'Users who reached the distinct-reporter threshold within the window',
    );
    this.flaggedGauge = metrics.gauge(
      'chat_reported_user_flagged',
      'Distinct accounts that reported a flagged user within the window',
      ['user_id'],
    );
  }

  async apply(event: UserEvent, seq: number): Promise<void> {
    if (event.type === 'ReportResolved') return this.store.resolved(event, seq);
    if (event.type !== 'UserReported') return;
    await this.store.reported(event, seq);
    this.reports.inc({ reason: event.data.reason });
    const at = new Date(event.occurredAt).getTime();
    const since = new Date(at - this.config.REPORT_FLAG_WINDOW_SECONDS * 1000);
    for (const userId of event.data.reportedUserIds) {
      const reporters = await this.store.reportersSince(userId, since);
      if (reporters < this.config.REPORT_FLAG_THRESHOLD) continue;
      if (!this.flagged.has(userId)) {
        this.flaggedTotal.inc();
        if (this.flagged.size >= FLAGGED_SERIES_MAX) {
          const oldest = this.flagged.values().next().value as string;
          this.flagged.delete(oldest);
          this.flaggedGauge.remove({ user_id: oldest });
        }
        this.flagged.add(userId);
      }
      this.flaggedGauge.set({ user_id: userId }, reporters);
    }
  }
}
