// Built-in features: each resolves to valid ordinary config on its own, and the shell they put into
// images is strict and shellcheck-clean.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BUILTIN_FEATURES_DIR, builtinFeatureNames } from '../../src/config/features.js';
import { load, writeTree } from './helpers.js';

test('the six required built-in features exist', () => {
  const names = builtinFeatureNames();
  for (const n of ['ssh-server', 'cloud-init', 'unattended-upgrades', 'devuser', 'growroot', 'live']) assert.ok(names.includes(n), n);
});

for (const name of builtinFeatureNames()) {
  test(`feature ${name} loads on its own and names only existing files`, async () => {
    const dir = writeTree({ 'golden.yaml': `name: demo\nfeatures: [${name}]\n` });
    const { config, referencedFiles, features } = await load(join(dir, 'golden.yaml'));
    assert.deepEqual(features.map((f) => f.name), [name]);
    assert.ok(config.packages.install.length > 0 || config.files.length > 0, 'a feature changes something');
    for (const f of referencedFiles) assert.ok(existsSync(f), f);
  });
}

test('feature contents: packages and files that make each one work', async () => {
  const dir = writeTree({ 'golden.yaml': 'name: demo\nfeatures: [ssh-server, cloud-init, growroot, live, {name: devuser, with: {name: dev}}]\n' });
  const { config } = await load(join(dir, 'golden.yaml'));
  for (const p of ['openssh-server', 'cloud-init', 'fdisk', 'live-boot']) assert.ok(config.packages.install.includes(p), p);
  assert.ok(!config.packages.install.includes('live-config'), 'live-config costs 50 s per boot; its work is done at build time');
  for (const unit of ['ssh.service', 'golden-growroot.service']) assert.ok(config.services.enable.includes(unit), unit);
  assert.deepEqual(config.users.map((u) => [u.name, u.sudo]), [['user', true], ['dev', true]]);
  const ds = config.files.find((f) => f.destination === '/etc/cloud/cloud.cfg.d/90-golden-datasources.cfg');
  assert.ok(ds && 'content' in ds && /datasource_list: \[ NoCloud,/.test(ds.content));
  const grow = config.files.find((f) => f.destination === '/usr/local/sbin/golden-growroot');
  assert.equal(grow?.mode, '0755');
});

test('executable files the features install: strict mode and shellcheck-clean', async () => {
  const dir = writeTree({ 'golden.yaml': `name: demo\nfeatures: [${builtinFeatureNames().join(', ')}]\n` });
  const { config } = await load(join(dir, 'golden.yaml'));
  const scripts = config.files.filter((f) => 'source' in f && (Number.parseInt(f.mode, 8) & 0o111) !== 0).map((f) => ('source' in f ? f.source : ''));
  assert.ok(scripts.length > 0);
  for (const s of scripts) {
    const text = readFileSync(s, 'utf8');
    assert.match(text, /^#!\/bin\/(ba)?sh\n/, s);
    assert.match(text, /^set -euo pipefail$/m, s);
  }
  execFileSync('shellcheck', ['--severity=style', ...scripts], { stdio: 'pipe' });
});

test('growroot installs the disk outputs\' script: one implementation of growing the root', async () => {
  const dir = writeTree({ 'golden.yaml': 'name: demo\nfeatures: [growroot]\n' });
  const { config } = await load(join(dir, 'golden.yaml'));
  const script = config.files.find((f) => f.destination === '/usr/local/sbin/golden-growroot');
  assert.ok(script && 'source' in script);
  assert.equal(script.source, join(BUILTIN_FEATURES_DIR, '..', 'outputs', 'disk', 'payload', 'golden-growroot.sh'));
});
