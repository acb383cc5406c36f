import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function version(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split('\n')[0]!;
  } catch {
    return 'unknown';
  }
}

/** What a result file says about where it ran, so figures from different machines are not compared blindly. */
export function machine(): Record<string, unknown> {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    // Other work on the machine when the run ended (1, 5, 15 min): figures taken under load say so.
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.version,
    natsServer: version('nats-server', ['--version']),
    redis: version('redis-server', ['--version']),
    commit: version('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']),
    date: new Date().toISOString(),
  };
}

/** Prints rows as an aligned table. */
export function printTable(
  title: string,
  rows: ReadonlyArray<Record<string, string | number | boolean>>,
): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]!);
  const cell = (v: unknown): string =>
    typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(1) : String(v);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]): string => vals.map((v, i) => v.padStart(widths[i]!)).join('  ');
  console.log(`\n${title}`);
  console.log(line(cols));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(cols.map((c) => cell(r[c]))));
}

const RESULTS = `${ROOT}bench/results`;

/** Writes bench/results/<workload>-<timestamp>.json and returns its path. */
export function writeResult(workload: string, body: Record<string, unknown>): string {
  const dir = RESULTS;
  mkdirSync(dir, { recursive: true });
  const path = `${dir}/${workload}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(path, JSON.stringify({ workload, machine: machine(), ...body }, null, 2));
  return path;
}

/** The newest result file of a workload written on this machine (its name sorts by time), parsed. */
export function newestResult(workload: string): { path: string; body: Record<string, unknown> } | undefined {
  let names: string[];
  try {
    names = readdirSync(RESULTS).filter((n) => n.startsWith(`${workload}-`) && n.endsWith('.json'));
  } catch {
    return undefined;
  }
  const newest = names.sort().at(-1);
  if (!newest) return undefined;
  const path = `${RESULTS}/${newest}`;
  return { path, body: JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown> };
}

/** Progress on stderr, so stdout keeps only the table. */
export function progress(text: string): void {
  process.stderr.write(`${text}\n`);
}
