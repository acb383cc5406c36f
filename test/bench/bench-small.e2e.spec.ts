import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../bench/main.js', import.meta.url));

/** Every benchmark workload, run small for correctness only, so the benchmark code never rots. */
test('every benchmark workload runs small and reports a PASS verdict', { timeout: 600_000 }, async () => {
  const child = spawn(process.execPath, [MAIN, 'all', '--small'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, `bench exited with ${code}:\n${out}\n${err.slice(-4000)}`);
  assert.match(out, /verdict: PASS/);
  assert.doesNotMatch(out, /verdict: FAIL/);
});
