// Build-time mistakes are reported before anything runs, as one paragraph with a hint.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runGolden, tempDir } from '../helpers.js';

function project(yaml: string): string {
  const dir = tempDir('golden-build-err-');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'golden.yaml'), yaml);
  return join(dir, 'golden.yaml');
}

test('a missing host tool is named with the package that provides it, before any step runs', async () => {
  const cfg = project('name: t\noutputs:\n  - type: tar\n    compression: xz\n');
  const cache = tempDir('golden-cache-');
  // a PATH without /usr/bin: mmdebstrap, tar and xz are "missing" (findTool also looks in /usr/sbin and /sbin)
  const r = await runGolden(['build', cfg, '--cache', cache], { env: { PATH: '/nonexistent' } });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /"mmdebstrap"/);
  assert.match(r.stderr, /apt-get install -y [^\n]*\bmmdebstrap\b/);
  assert.match(r.stderr, /\bxz-utils\b/);
  assert.doesNotMatch(r.stderr, /==> base/, 'no step started');
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
});

test('build --help shows examples; plan and cache commands exist', async () => {
  for (const args of [['build', '--help'], ['plan', '--help'], ['cache', 'list', '--help'], ['cache', 'gc', '--help'], ['cache', 'rm', '--help']]) {
    const r = await runGolden(args);
    assert.equal(r.code, 0, args.join(' '));
    assert.match(r.stdout, /Examples:/, args.join(' '));
  }
});

test('cache list, gc and rm work on an empty cache', async () => {
  const cache = tempDir('golden-cache-');
  const list = await runGolden(['--json', 'cache', 'list', '--cache', cache]);
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual((JSON.parse(list.stdout) as { entries: unknown[] }).entries, []);
  const gc = await runGolden(['--json', 'cache', 'gc', '--all-unreferenced', '--cache', cache]);
  assert.equal(gc.code, 0, gc.stderr);
  const rm = await runGolden(['cache', 'rm', 'abcdef', '--cache', cache]);
  assert.equal(rm.code, 2);
  assert.match(rm.stderr, /no cache entry has a key starting with abcdef/);
});
