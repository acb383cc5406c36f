import { readFileSync } from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system) and resident memory of a process, from /proc. */
export function procSample(pid: number): { cpuSeconds: number; rssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const rssPages = Number(fields[21]);
  return { cpuSeconds: (utime + stime) / CLOCK_TICKS, rssBytes: rssPages * 4096 };
}

/** CPU use (percent of one core) and RSS of a process between start() and stop(). */
export class CpuMeter {
  private start = { cpuSeconds: 0, rssBytes: 0 };
  private startedAt = 0;

  constructor(readonly pid: number) {}

  begin(): void {
    this.start = procSample(this.pid);
    this.startedAt = performance.now();
  }

  end(): { cpuPercent: number; rssMiB: number } {
    const now = procSample(this.pid);
    const seconds = (performance.now() - this.startedAt) / 1000;
    return {
      cpuPercent: (100 * (now.cpuSeconds - this.start.cpuSeconds)) / seconds,
      rssMiB: now.rssBytes / 2 ** 20,
    };
  }
}

/** The open-files limit of a process (soft and hard), from /proc/<pid>/limits. */
export function openFilesLimit(pid: number): { soft: number; hard: number } {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const [soft, hard] = (line ?? '')
    .split(/\s{2,}/)
    .slice(1, 3)
    .map(Number);
  return { soft: soft ?? NaN, hard: hard ?? NaN };
}
