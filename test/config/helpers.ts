// Helpers for the config tests: write a small tree of files, load it, and catch the aggregated errors.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigErrors } from '../../src/config/config-errors.js';
import { loadConfig, type LoadedConfig } from '../../src/config/load.js';
import { tempDir } from '../helpers.js';

export const FIXTURES = join(dirname(new URL(import.meta.url).pathname), '..', '..', '..', 'test', 'config', 'fixtures');

/** Write files (path → text) under a fresh directory and return it. */
export function writeTree(files: Record<string, string>): string {
  const dir = tempDir('golden-config-');
  for (const [rel, text] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
  return dir;
}

/** Load a config with a fixed host apt configuration, so results do not depend on the machine. */
export function load(file: string, overrides?: Record<string, unknown>): Promise<LoadedConfig> {
  return loadConfig(file, { etcApt: join(FIXTURES, 'apt-debian'), ...(overrides ? { overrides } : {}) });
}

/** Load a config that must fail; return the errors. */
export async function loadErrors(file: string): Promise<ConfigErrors> {
  try {
    await load(file);
  } catch (e) {
    assert.ok(e instanceof ConfigErrors, `expected ConfigErrors, got ${String(e)}`);
    return e;
  }
  assert.fail(`${file} loaded without errors`);
}

/** The one error whose field is `field`; asserts it is at the given file and line. */
export function errorAt(errs: ConfigErrors, field: string, file: string, line: number) {
  const e = errs.errors.find((x) => x.location.field === field);
  assert.ok(e, `no error for ${field}; got:\n${errs.message}`);
  assert.equal(e.location.file, file, e.message);
  assert.equal(e.location.line, line, e.message);
  assert.ok(e.location.column !== undefined && e.location.column >= 1, e.message);
  assert.ok(e.message.startsWith(`${file}:${line}:${e.location.column} (${field}): `), e.message);
  return e;
}
