import type { CqlClient } from '#libs/cassandra';
import type { ReportedMessage, ReportResolved, UserReported } from '#libs/events';

const P = { prepare: true } as const;

/** A report as operators read it (`chatctl reports`). */
export interface ReportRow {
  readonly reportId: string;
  readonly reporterUserId: string;
  readonly target: { readonly kind: string; readonly id: string };
  readonly reportedUserIds: readonly string[];
  readonly reason: string;
  readonly comment?: string;
  readonly messages: readonly ReportedMessage[];
  readonly alsoBlocked: boolean;
  readonly reportedAt: string;
  readonly status: 'open' | 'resolved';
  readonly resolution?: string;
  readonly resolvedBy?: string;
  readonly resolvedAt?: string;
  readonly note?: string;
}

/** The day partition of `reports_by_day` (UTC). */
export const reportDay = (at: Date): string => at.toISOString().slice(0, 10);

/**
 * Reports (migration 015), written from UserReported / ReportResolved stamped with the USERS sequence,
 * so a replay or a rebuild changes nothing twice and a resolution is never undone by its report.
 */
export class ReportStore {
  constructor(private readonly cql: CqlClient) {}

  async reported(e: UserReported, seq: number): Promise<void> {
    const d = e.data;
    const at = new Date(e.occurredAt);
    const target = d.target.kind === 'user' ? d.target.userId : d.target.conversationId;
    await Promise.all([
      this.cql.execute(
        'INSERT INTO reports (report_id, reporter_user_id, target_kind, target_id, reported_user_ids, reason, comment, messages, also_blocked, reported_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?',
        [
          d.reportId,
          d.userId,
          d.target.kind,
          target,
          d.reportedUserIds.length > 0 ? d.reportedUserIds : null,
          d.reason,
          d.comment ?? null,
          JSON.stringify(d.messages),
          d.alsoBlocked,
          at,
          'open',
          seq,
        ],
        P,
      ),
      this.cql.execute(
        'INSERT INTO reports_by_day (day, report_id) VALUES (?, ?) USING TIMESTAMP ?',
        [reportDay(at), d.reportId, seq],
        P,
      ),
      ...d.reportedUserIds.map((u) =>
        this.cql.execute(
          'INSERT INTO reports_against_user (user_id, reporter_user_id, last_reported_at) VALUES (?, ?, ?) USING TIMESTAMP ?',
          [u, d.userId, at, seq],
          P,
        ),
      ),
    ]);
  }

  async resolved(e: ReportResolved, seq: number): Promise<void> {
    const d = e.data;
    await this.cql.execute(
      'UPDATE reports USING TIMESTAMP ? SET status = ?, resolution = ?, resolved_by = ?, resolved_at = ?, note = ? WHERE report_id = ?',
      [seq, 'resolved', d.resolution, d.resolvedBy, new Date(e.occurredAt), d.note ?? null, d.reportId],
      P,
    );
  }

  /** Distinct accounts that reported `userId` at or after `since`. */
  async reportersSince(userId: string, since: Date): Promise<number> {
    const rs = await this.cql.execute(
      'SELECT reporter_user_id, last_reported_at FROM reports_against_user WHERE user_id = ?',
      [userId],
      { ...P, fetchSize: 1000 },
    );
    let n = 0;
    for await (const row of rs) if ((row.get('last_reported_at') as Date).getTime() >= since.getTime()) n++;
    return n;
  }

  async get(reportId: string): Promise<ReportRow | undefined> {
    const row = (await this.cql.execute('SELECT * FROM reports WHERE report_id = ?', [reportId], P)).first();
    return row && row.get('reporter_user_id') ? toRow(row) : undefined;
  }

  /** Reports of the given days (newest first). */
  async ofDays(days: readonly string[]): Promise<ReportRow[]> {
    const out: ReportRow[] = [];
    for (const day of days) {
      const rs = await this.cql.execute('SELECT report_id FROM reports_by_day WHERE day = ?', [day], {
        ...P,
        fetchSize: 1000,
      });
      const ids: string[] = [];
      for await (const r of rs) ids.push(String(r.get('report_id')));
      const rows = await Promise.all(ids.map((id) => this.get(id)));
      out.push(...rows.filter((r): r is ReportRow => r !== undefined));
    }
    return out;
  }
}

function toRow(r: { get(name: string): unknown }): ReportRow {
  const opt = (name: string): string | undefined => {
    const v = r.get(name);
    return v === null || v === undefined ? undefined : v instanceof Date ? v.toISOString() : String(v);
  };
  return {
    reportId: String(r.get('report_id')),
    reporterUserId: r.get('reporter_user_id') as string,
    target: { kind: r.get('target_kind') as string, id: r.get('target_id') as string },
    reportedUserIds: [...((r.get('reported_user_ids') as string[] | null) ?? [])],
    reason: r.get('reason') as string,
    ...(opt('comment') !== undefined ? { comment: opt('comment') } : {}),
    messages: JSON.parse((r.get('messages') as string | null) ?? '[]') as ReportedMessage[],
    alsoBlocked: r.get('also_blocked') === true,
    reportedAt: (r.get('reported_at') as Date).toISOString(),
    status: r.get('status') === 'resolved' ? 'resolved' : 'open',
    ...(opt('resolution') !== undefined ? { resolution: opt('resolution') } : {}),
    ...(opt('resolved_by') !== undefined ? { resolvedBy: opt('resolved_by') } : {}),
    ...(opt('resolved_at') !== undefined ? { resolvedAt: opt('resolved_at') } : {}),
    ...(opt('note') !== undefined ? { note: opt('note') } : {}),
  };
}
