// The committed JSON Schema and reference are generated from the zod schema; they must match it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { goldenJsonSchemaText } from '../../src/config/json-schema.js';
import { referenceMarkdown, referenceRows } from '../../src/config/reference.js';
import { REFERENCE_FILE, SCHEMA_FILE } from '../../src/config/write-schema.js';
import { runGolden } from '../helpers.js';

const STALE = 'out of date: run `npm run build && npm run schema` and commit the result';

test('schema/golden.schema.json is the schema generated from src/config/schema.ts', () => {
  assert.equal(readFileSync(SCHEMA_FILE, 'utf8'), goldenJsonSchemaText(), `${SCHEMA_FILE} is ${STALE}`);
});

test('docs/config-reference.md is generated from the schema', () => {
  assert.equal(readFileSync(REFERENCE_FILE, 'utf8'), referenceMarkdown(), `${REFERENCE_FILE} is ${STALE}`);
});

test('every key of the schema has a description', () => {
  const rows = referenceRows();
  assert.ok(rows.length > 150, `only ${rows.length} keys found`);
  const missing = rows.filter((r) => r.description.trim() === '').map((r) => r.key);
  assert.deepEqual(missing, []);
});

test('the JSON Schema rejects unknown keys everywhere (additionalProperties: false)', () => {
  const open: string[] = [];
  const walk = (s: unknown, path: string) => {
    if (s === null || typeof s !== 'object') return;
    const o = s as Record<string, unknown>;
    if (o['type'] === 'object' && o['properties'] && o['additionalProperties'] !== false) open.push(path);
    for (const [k, v] of Object.entries(o)) walk(v, `${path}/${k}`);
  };
  walk(JSON.parse(goldenJsonSchemaText()), '#');
  assert.deepEqual(open, []);
});

test('golden config schema prints the committed schema', async () => {
  const r = await runGolden(['config', 'schema']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, readFileSync(SCHEMA_FILE, 'utf8'));
});

test('editors agree with Golden: the JSON Schema accepts the example and rejects a misspelt key', async () => {
  const { Ajv2020 } = await import('ajv/dist/2020.js');
  const { parse } = await import('yaml');
  const { join } = await import('node:path');
  const { repoRoot } = await import('../helpers.js');
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const validate = ajv.compile(JSON.parse(goldenJsonSchemaText()) as object);
  const example = parse(readFileSync(join(repoRoot, 'examples', 'basic', 'golden.yaml'), 'utf8')) as unknown;
  assert.ok(validate(example), JSON.stringify(validate.errors));
  assert.equal(validate({ name: 'x', outputs: [{ type: 'tar', compresion: 'xz' }] }), false);
  assert.equal(validate({ name: 'x', distribution: { vendor: 'redhat' } }), false);
});
