import { parseArgs } from 'node:util';
import type { CqlClient } from '#libs/cassandra';
import { userSubject, type ChatEvent, type ReportResolved } from '#libs/events';
import { EventStore, type NatsClient } from '#libs/nats';
import { reportDay, ReportStore, type ReportRow } from '#libs/read-models';
import { vaultOver, withCassandra } from '../cli/cassandra-context.js';
import { withNats } from '../cli/nats-context.js';
import { renderTable } from '../cli/table.js';
import { UsageError } from '../cli/usage-error.js';

export const reportsUsage = `chatctl reports list [--days <n>] [--status open|resolved|all] [--json] | show <reportId>
       chatctl reports resolve <reportId> --resolution dismissed|actioned --by <who> [--note <text>]
  reports users filed (report.create): list (newest first, the last 7 days by default, open ones unless
  --status says otherwise), show one with the messages attached, resolve one (appends ReportResolved to
  the reporter's user subject: the decision and who took it). Users reported by many distinct accounts
  are flagged in the projector's metrics (chat_reported_user_flagged).`;

const REPORT_ID = /^[1-9]\d{0,19}$/;

function requireReportId(value: string | undefined): string {
  if (!value || !REPORT_ID.test(value))
    throw new UsageError('give a <reportId> (a decimal id from reports list)');
  return value;
}

export async function runReports(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      days: { type: 'string' },
      status: { type: 'string' },
      json: { type: 'boolean', default: false },
      resolution: { type: 'string' },
      by: { type: 'string' },
      note: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [action, id] = positionals;
  switch (action) {
    case 'list': {
      const days = values.days === undefined ? 7 : Number(values.days);
      if (!Number.isInteger(days) || days < 1 || days > 366) throw new UsageError('--days takes 1 to 366');
      const status = values.status ?? 'open';
      if (!['open', 'resolved', 'all'].includes(status))
        throw new UsageError('--status is open, resolved or all');
      return withCassandra('reports', async (cql) => {
        const now = Date.now();
        const dayList = Array.from({ length: days }, (_, i) => reportDay(new Date(now - i * 86_400_000)));
        const rows = (await new ReportStore(cql).ofDays(dayList)).filter(
          (r) => status === 'all' || r.status === status,
        );
        if (values.json) return void process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        process.stdout.write(
          `${renderTable(
            [
              'report',
              'reported at',
              'status',
              'reason',
              'reporter',
              'target',
              'against',
              'messages',
              'blocked',
            ],
            rows.map((r) => [
              r.reportId,
              r.reportedAt,
              r.resolution ? `${r.status}: ${r.resolution}` : r.status,
              r.reason,
              r.reporterUserId,
              `${r.target.kind} ${r.target.id}`,
              r.reportedUserIds.join(','),
              r.messages.length,
              r.alsoBlocked ? 'yes' : 'no',
            ]),
          )}\n`,
        );
      });
    }
    case 'show':
      return withCassandra('reports', async (cql) => {
        const row = await new ReportStore(cql).get(requireReportId(id));
        if (!row) throw new UsageError(`no report ${id}`);
        process.stdout.write(`${JSON.stringify(row, null, 2)}\n`);
      });
    case 'resolve': {
      const reportId = requireReportId(id);
      const resolution = values.resolution;
      if (resolution !== 'dismissed' && resolution !== 'actioned')
        throw new UsageError('resolve needs --resolution dismissed|actioned');
      const by = values.by?.trim();
      if (!by) throw new UsageError('resolve needs --by <who> (recorded in the event)');
      const note = values.note;
      return withCassandra('reports', (cql) =>
        withNats('reports', (client) => resolve(client, cql, reportId, { resolution, by, note })),
      );
    }
    default:
      throw new UsageError(`reports: unknown action "${action ?? ''}"\n${reportsUsage}`);
  }
}

async function resolve(
  client: NatsClient,
  cql: CqlClient,
  reportId: string,
  how: { resolution: 'dismissed' | 'actioned'; by: string; note: string | undefined },
): Promise<void> {
  const reports = new ReportStore(cql);
  const row: ReportRow | undefined = await reports.get(reportId);
  if (!row) throw new UsageError(`no report ${reportId}`);
  if (row.status === 'resolved') {
    process.stderr.write(
      `reports: ${reportId} was already resolved (${row.resolution} by ${row.resolvedBy})\n`,
    );
    return;
  }
  const now = new Date().toISOString();
  const event: ReportResolved = {
    type: 'ReportResolved',
    version: 1,
    id: `report-resolved.${reportId}`,
    occurredAt: now,
    data: {
      userId: row.reporterUserId,
      reportId,
      resolution: how.resolution,
      resolvedBy: how.by,
      ...(how.note !== undefined && how.note !== '' ? { note: how.note.slice(0, 1000) } : {}),
    },
  };
  const store = new EventStore<ChatEvent>(client.js, client.jsm, vaultOver(cql));
  // One resolution per report: a second run inside the duplicate window gets the first one back.
  const ack = await store.append(userSubject(client.topology, row.reporterUserId), event, {
    msgId: `report-resolved.${reportId}`,
  });
  // As the projector does on the event (same stamp), so `show` says it at once.
  await reports.resolved(event, ack.seq);
  process.stderr.write(
    `reports: ${reportId} resolved (${how.resolution}), ReportResolved at ${ack.stream} sequence ${ack.seq}\n`,
  );
}
