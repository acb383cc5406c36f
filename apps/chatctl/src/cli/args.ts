import { UsageError } from './usage-error.js';

const UNITS_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** An ISO-8601 time, or a duration back from now such as 90s, 15m, 2h, 7d. */
export function parseTime(flag: string, value: string | undefined, now = Date.now()): Date | undefined {
  if (value === undefined) return undefined;
  const relative = /^(\d+)([smhd])$/.exec(value);
  if (relative) return new Date(now - Number(relative[1]) * UNITS_MS[relative[2]!]!);
  const t = Date.parse(value);
  if (Number.isNaN(t))
    throw new UsageError(`--${flag}: not a time (ISO-8601, or 15m / 2h / 7d ago): ${value}`);
  return new Date(t);
}

export function parseSeq(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new UsageError(`--${flag}: a stream sequence (1 or more), not ${value}`);
  return Number(value);
}

export function requireToken(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(value)) throw new UsageError(`--${flag}: not an id: ${value}`);
  return value;
}
