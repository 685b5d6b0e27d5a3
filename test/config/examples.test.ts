// Every shipped example and the template `golden init` copies must load as they are.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { repoRoot, runGolden, tempDir } from '../helpers.js';
import { load } from './helpers.js';

const exampleDirs = readdirSync(join(repoRoot, 'examples')).filter((d) => existsSync(join(repoRoot, 'examples', d, 'golden.yaml')));

test('there are examples, and the basic one exists', () => {
  assert.ok(exampleDirs.includes('basic'), exampleDirs.join(' '));
});

for (const name of exampleDirs) {
  test(`examples/${name}/golden.yaml loads`, async () => {
    const { config, referencedFiles } = await load(join(repoRoot, 'examples', name, 'golden.yaml'));
    assert.equal(config.name, name);
    assert.ok(config.outputs.length > 0, 'an example builds something');
    for (const f of referencedFiles) assert.ok(existsSync(f), f);
  });
}

test('examples/basic is small: minbase, kernel, systemd, a file, a user, a tar output', async () => {
  const { config } = await load(join(repoRoot, 'examples', 'basic', 'golden.yaml'));
  assert.equal(config.distribution.variant, 'minbase');
  for (const p of ['linux-image-amd64', 'systemd-sysv']) assert.ok(config.packages.install.includes(p), p);
  assert.ok(config.files.some((f) => f.destination === '/etc/motd'));
  assert.deepEqual(config.users.map((u) => u.name), ['admin']);
  assert.ok(config.outputs.some((o) => o.type === 'tar'));
});

test('templates/golden.yaml loads next to an archive directory, as `golden init` lays it out', async () => {
  const dir = tempDir();
  cpSync(join(repoRoot, 'templates', 'golden.yaml'), join(dir, 'golden.yaml'));
  mkdirSync(join(dir, 'archive'));
  const { config } = await load(join(dir, 'golden.yaml'));
  assert.deepEqual(config.repositories.map((r) => ('golden' in r ? r.golden : '')), [join(dir, 'archive')]);
  assert.equal(config.updates.unattended.enabled, true);
  // The template is a teaching document: most sections appear, at least commented out.
  const text = parse(JSON.stringify(config)) as Record<string, unknown>;
  assert.ok(text['files']);
});

test('golden config check prints the resolved example as YAML and as JSON', async () => {
  const file = join(repoRoot, 'examples', 'basic', 'golden.yaml');
  const y = await runGolden(['config', 'check', file]);
  assert.equal(y.code, 0, y.stderr);
  const resolved = parse(y.stdout) as { name: string; files: { destination: string }[] };
  assert.equal(resolved.name, 'basic');
  const j = await runGolden(['config', 'check', '--json', file]);
  assert.equal(j.code, 0, j.stderr);
  const out = JSON.parse(j.stdout) as { ok: boolean; config: { name: string }; referencedFiles: string[] };
  assert.equal(out.ok, true);
  assert.equal(out.config.name, 'basic');
  assert.ok(out.referencedFiles.includes(join(repoRoot, 'examples', 'basic', 'files', 'motd')));
  const files = await runGolden(['config', 'check', '--files', file]);
  assert.equal(files.code, 0, files.stderr);
  assert.deepEqual(files.stdout.trim().split('\n'), out.referencedFiles);
});
