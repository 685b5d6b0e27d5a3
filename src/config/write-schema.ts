// `npm run schema`: regenerate the committed schema/golden.schema.json and docs/config-reference.md.
// A test fails when either is out of date, so run this after changing the schema.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goldenJsonSchemaText } from './json-schema.js';
import { referenceMarkdown } from './reference.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const SCHEMA_FILE = join(REPO_ROOT, 'schema', 'golden.schema.json');
export const REFERENCE_FILE = join(REPO_ROOT, 'docs', 'config-reference.md');

export function writeGeneratedFiles(): string[] {
  const written: [string, string][] = [
    [SCHEMA_FILE, goldenJsonSchemaText()],
    [REFERENCE_FILE, referenceMarkdown()],
  ];
  for (const [file, text] of written) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return written.map(([f]) => f);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const f of writeGeneratedFiles()) console.log(`wrote ${f}`);
}
