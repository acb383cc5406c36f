import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { REQUEST_TYPES } from '#libs/protocol';

const root = new URL('../../../../', import.meta.url);
const asyncapi = JSON.stringify(parse(readFileSync(new URL('docs/asyncapi.yaml', root), 'utf8')));
const prose = readFileSync(new URL('docs/protocol.md', root), 'utf8');

describe('protocol documents match the code', () => {
  for (const type of REQUEST_TYPES) {
    test(`request type ${type} is in docs/asyncapi.yaml and docs/protocol.md`, () => {
      assert.ok(asyncapi.includes(`"const":"${type}"`), `asyncapi.yaml lacks ${type}`);
      // Prettier pads table cells, so a row is `| \`type\`` followed by spaces and a bar.
      const row = new RegExp(`^\\| \`${type.replace('.', '\\.')}\` +\\|`, 'm');
      assert.ok(row.test(prose), `protocol.md lacks a row for ${type}`);
    });
  }
});
