#!/usr/bin/env node
import { ConfigError } from '#libs/config';
import { UsageError } from './cli/usage-error.js';
import { dlqUsage, runDlq } from './commands/dlq.command.js';
import { eventsUsage, runEvents } from './commands/events.command.js';
import { exportUsage, runExport } from './commands/export.command.js';
import { forgetUsage, runForget } from './commands/forget/forget.command.js';
import { runMigrate } from './commands/migrate.command.js';
import { rebuildUsage, runRebuild } from './commands/rebuild.command.js';
import { reportsUsage, runReports } from './commands/reports.command.js';
import { runStatus, statusUsage } from './commands/status.command.js';

/** chatctl: the operator's and analyst's command line (docs/operations.md). */
const usage = `usage: chatctl <command> [options]

commands:
  migrate        create the keyspace and apply pending CQL migrations
  events         print events as JSON lines, filtered; --follow for live ones
  status         streams, consumers and projection lag as a table (--json)
  dlq            list | show | retry events a projection parked
  export         a conversation's or a user's data as JSON (compliance requests)
  rebuild        rebuild a read model into a new version while the system runs, then switch readers
  forget         the right to be forgotten: destroy a user's personal data, with an audit event
  reports        list | show | resolve reports users filed against users and conversations

${eventsUsage}

${statusUsage}

${dlqUsage}

${exportUsage}

${rebuildUsage}

${forgetUsage}

${reportsUsage}
`;

const commands: Record<string, (argv: string[]) => Promise<void>> = {
  migrate: () => runMigrate(),
  events: runEvents,
  status: runStatus,
  dlq: runDlq,
  export: runExport,
  rebuild: runRebuild,
  forget: runForget,
  reports: runReports,
};

const [command, ...argv] = process.argv.slice(2);
const run = command ? commands[command] : undefined;
if (!run) {
  process.stderr.write(
    command && command !== '--help' ? `chatctl: unknown command "${command}"\n${usage}` : usage,
  );
  process.exit(command === '--help' ? 0 : 64);
}
try {
  await run(argv);
} catch (err) {
  if (
    err instanceof UsageError ||
    (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))
  ) {
    process.stderr.write(`chatctl ${command}: ${err.message}\n`);
    process.exit(64);
  }
  if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
  else process.stderr.write(`chatctl ${command}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
