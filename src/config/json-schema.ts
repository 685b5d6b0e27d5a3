// The JSON Schema of golden.yaml, generated from the zod schema, for editors (yaml-language-server reads
// `# yaml-language-server: $schema=…` or the `$schema` key). Generated in "input" mode: fields with
// defaults are optional, as they are to a person writing the file.
import { z } from 'zod';
import { goldenConfigSchema } from './schema.js';

export function goldenJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(goldenConfigSchema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...generated, title: 'Golden image configuration (golden.yaml)' };
}

/** The committed file's text: stable key order and a final newline, so the sync test compares text. */
export function goldenJsonSchemaText(): string {
  return `${JSON.stringify(goldenJsonSchema(), null, 2)}\n`;
}
