// The plan, without building: which keys change when an input changes.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { makePlan } from '../../src/plan/plan.js';
import { tempDir } from '../helpers.js';

async function keys(dir: string): Promise<Record<string, string>> {
  const plan = await makePlan(await loadConfig(join(dir, 'golden.yaml')), { checkTools: false });
  return Object.fromEntries([...plan.steps.map((s) => [s.name, s.key]), ...plan.outputs.map((o) => [`output:${o.entry.type}`, o.key])]);
}

test('a changed file changes the config and finalize keys only; a changed package list changes packages too', async () => {
  const dir = tempDir('golden-plan-');
  mkdirSync(join(dir, 'files'));
  writeFileSync(join(dir, 'files', 'motd'), 'one\n');
  const yaml = (pkgs: string) => `name: p\nsourceDateEpoch: 1700000000\ndistribution:\n  mirror: http://mirror.invalid/debian\npackages:\n  install: [${pkgs}]\nfiles:\n  - source: files/motd\n    destination: /etc/motd\noutputs:\n  - type: tar\n`;
  writeFileSync(join(dir, 'golden.yaml'), yaml('less'));
  const a = await keys(dir);
  assert.deepEqual(Object.keys(a), ['base', 'packages', 'config', 'finalize', 'output:tar']);
  assert.deepEqual(await keys(dir), a, 'the same inputs give the same keys');

  writeFileSync(join(dir, 'files', 'motd'), 'two\n');
  const b = await keys(dir);
  assert.equal(b['base'], a['base']);
  assert.equal(b['packages'], a['packages']);
  assert.notEqual(b['config'], a['config']);
  assert.notEqual(b['finalize'], a['finalize']);
  assert.notEqual(b['output:tar'], a['output:tar']);

  writeFileSync(join(dir, 'golden.yaml'), yaml('less, file'));
  const c = await keys(dir);
  assert.equal(c['base'], a['base']);
  assert.notEqual(c['packages'], b['packages']);
  assert.notEqual(c['config'], b['config'], 'a new parent gives a new key');

  writeFileSync(join(dir, 'golden.yaml'), yaml('file, less'));
  assert.equal((await keys(dir))['packages'], c['packages'], 'the order of the package list does not matter');
});
