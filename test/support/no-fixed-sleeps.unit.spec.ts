import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

// Sources, not dist: dist/test/support/ -> the repository root is three levels up from here.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SPEC_ROOTS = ['test', 'apps', 'libs'];

/**
 * A bare timed wait in a spec: `sleep(`, `delay(`, `setTimeout(r` / `setTimeout(resolve`, or
 * node:timers/promises. Waits go through test/support/wait.ts: `until`/`eventually` on a condition,
 * `quietPeriod` when the assertion is that nothing happens, `pace` for a load generator's spacing.
 */
const FIXED_WAIT = /\b(?:sleep|delay)\s*\(|setTimeout\(\s*(?:r|res|resolve)\s*,|timers\/promises/;

/** A unit test whose subject is a timer may keep a real one, marked on its line with this comment. */
const TIMER_UNDER_TEST = '// timer under test';

export function fixedWaits(file: string, text: string): string[] {
  const found: string[] = [];
  text.split('\n').forEach((line, i) => {
    const code = /^\s*(?:\/\/|\*|\/\*)/.test(line) ? '' : line; // comments may name what they forbid
    if (FIXED_WAIT.test(code) && !line.includes(TIMER_UNDER_TEST))
      found.push(`${file}:${i + 1}: ${line.trim()}`);
  });
  return found;
}

function specFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) return [];
    const path = join(dir, e.name);
    if (e.isDirectory()) return specFiles(path);
    return e.name.endsWith('.spec.ts') ? [path] : [];
  });
}

test('no spec waits with a fixed sleep (use until/eventually, quietPeriod or pace from test/support/wait.ts)', () => {
  const self = join(ROOT, 'test/support/no-fixed-sleeps.unit.spec.ts'); // its examples are planted sleeps
  const files = SPEC_ROOTS.flatMap((d) => specFiles(join(ROOT, d))).filter((f) => f !== self);
  assert.ok(files.length > 50, `found the spec sources (${files.length} under ${ROOT})`);
  const found = files.flatMap((f) => fixedWaits(relative(ROOT, f), readFileSync(f, 'utf8')));
  assert.deepEqual(found, [], `fixed sleeps in specs:\n${found.join('\n')}`);
});

test('the scan catches the shapes a fixed sleep takes, and passes the named helpers', () => {
  const planted = [
    'await sleep(500);',
    '    await new Promise((r) => setTimeout(r, 300)); // the projector catches up',
    'await new Promise((resolve) => setTimeout(resolve, 1000));',
    "import { setTimeout as delay } from 'node:timers/promises';",
    'await delay(100);',
  ];
  assert.equal(fixedWaits('x.spec.ts', planted.join('\n')).length, planted.length);
  const allowed = [
    'await quietPeriod(NO_SECOND_COPY_MS);',
    'await pace(PAIR_INTERVAL_MS);',
    '// await sleep(5) was here',
    `await new Promise((r) => setTimeout(r, 2)); ${TIMER_UNDER_TEST}: the fair queue's turn`,
    'await device.until(() => seen, 5_000);',
  ];
  assert.deepEqual(fixedWaits('x.spec.ts', allowed.join('\n')), []);
});
