import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { eventCatalogue } from '#libs/events';

const doc = readFileSync(new URL('../../../../docs/events.md', import.meta.url), 'utf8');

/** The `## Type vN` sections of docs/events.md with the fields of their tables. */
function documented(): Map<string, Map<string, boolean>> {
  const sections = new Map<string, Map<string, boolean>>();
  let current: Map<string, boolean> | undefined;
  for (const line of doc.split('\n')) {
    const heading = /^## (\w+) v(\d+)$/.exec(line);
    if (heading) {
      current = new Map();
      sections.set(`${heading[1]} v${heading[2]}`, current);
      continue;
    }
    if (line.startsWith('## ')) current = undefined;
    const row = /^\| `(\w+)` +\| (yes|no) +\|/.exec(line);
    if (row && current) current.set(row[1]!, row[2] === 'yes');
  }
  return sections;
}

describe('docs/events.md matches the event catalogue', () => {
  const sections = documented();

  for (const def of eventCatalogue) {
    test(`${def.type} v${def.version} is documented with exactly its fields`, () => {
      const fields = sections.get(`${def.type} v${def.version}`);
      assert.ok(fields, `docs/events.md has no section "## ${def.type} v${def.version}"`);
      const schema = z.toJSONSchema(def.schema) as {
        properties: Record<string, unknown>;
        required?: string[];
      };
      const expected = new Map(
        Object.keys(schema.properties).map((k) => [k, (schema.required ?? []).includes(k)]),
      );
      assert.deepEqual([...fields.entries()].sort(), [...expected.entries()].sort());
    });
  }

  test('no section documents an event the code does not have', () => {
    const known = new Set(eventCatalogue.map((d) => `${d.type} v${d.version}`));
    for (const name of sections.keys())
      assert.ok(known.has(name), `docs/events.md documents unknown ${name}`);
  });
});
