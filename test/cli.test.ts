import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot, runGolden } from './helpers.js';

test('--version prints the package version', async () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  const r = await runGolden(['--version']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), pkg.version);
});

test('--help lists commands and every command has examples', async () => {
  const r = await runGolden(['--help']);
  assert.equal(r.code, 0);
  const commandsSection = r.stdout.split('Commands:\n')[1] ?? '';
  const commands = [...commandsSection.matchAll(/^ {2}([a-z-]+)\b/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
  assert.ok(commands.includes('doctor'), r.stdout);
  for (const c of commands) {
    const h = await runGolden([c, '--help']);
    assert.equal(h.code, 0, `${c} --help`);
    assert.match(h.stdout, /Examples:\n {2}\$ golden/, `${c} --help shows examples`);
  }
});

test('an unknown command is a usage error (exit 2) with a suggestion', async () => {
  const r = await runGolden(['doctr']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Did you mean doctor\?/);
});

test('doctor reports capabilities as JSON', async () => {
  const r = await runGolden(['doctor', '--json']);
  const report = JSON.parse(r.stdout) as { capabilities: { capability: string; ok: boolean }[] };
  assert.ok(report.capabilities.length >= 5);
  assert.equal(r.code, report.capabilities.every((c) => c.ok) ? 0 : 1);
});
