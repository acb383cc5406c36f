import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestEnv } from '../../test/support/test-env.js';

const CHATCTL = fileURLToPath(new URL('../../apps/chatctl/src/main.js', import.meta.url));

/**
 * Runs the compiled chatctl against an isolated env, timing it from process start to exit; stdout is
 * counted in lines and thrown away, as `chatctl events > file` would (a million lines held in memory
 * would measure the bench, not chatctl). stderr (progress, summaries) is kept.
 */
export async function timedChatctl(
  env: TestEnv,
  args: readonly string[],
): Promise<{ seconds: number; lines: number; stderr: string }> {
  const started = performance.now();
  // APP_NODE_ARGS (e.g. --cpu-prof) reaches chatctl as it reaches the apps (test/support/app-process.ts).
  const nodeArgs = process.env.APP_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, CHATCTL, ...args], {
    env: { PATH: process.env.PATH, ...env.vars },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let lines = 0;
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    for (let i = c.indexOf(10); i !== -1; i = c.indexOf(10, i + 1)) lines++;
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`chatctl ${args.join(' ')} exited with ${code}:\n${stderr.slice(-4000)}`);
  return { seconds: (performance.now() - started) / 1000, lines, stderr };
}
