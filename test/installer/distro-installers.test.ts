// preseed.cfg and autoinstall user-data from the same config: checked with debconf's own parser and by
// the structure subiquity expects; also through the CLI.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { autoinstallDocument } from '../../src/installer/autoinstall.js';
import { preseedText } from '../../src/installer/preseed.js';
import { runGolden, tempDir } from '../helpers.js';
import { COMPANY_URL, PASSPHRASE, PASSWORD_HASH, writeInstallerConfig } from './fixture-config.js';

async function config(opts: Parameters<typeof writeInstallerConfig>[1] = {}) {
  return (await loadConfig((await writeInstallerConfig(tempDir(), opts)).configPath)).config;
}

function debconfCheck(text: string): { status: number | null; stderr: string } {
  const file = join(tempDir(), 'preseed.cfg');
  writeFileSync(file, text);
  const r = spawnSync('debconf-set-selections', ['-c', file], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

describe('preseed', () => {
  it('passes debconf-set-selections -c', async () => {
    const r = debconfCheck(preseedText(await config()));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
  });
  it('debconf-set-selections -c does reject a broken line (the check can fail)', () => {
    assert.notEqual(debconfCheck('d-i partman-auto/method\n').status, 0);
  });
  it('encrypts with partman-crypto, with the passphrase given at build time', async () => {
    const text = preseedText(await config());
    assert.match(text, /^d-i partman-auto\/method string crypto$/m);
    assert.match(text, new RegExp(`^d-i partman-crypto/passphrase password ${PASSPHRASE}$`, 'm'));
    assert.match(text, new RegExp(`^d-i passwd/user-password-crypted password ${PASSWORD_HASH.replace(/\$/g, '\\$')}$`, 'm'));
    assert.match(text, /^d-i pkgsel\/update-policy select unattended-upgrades$/m);
    assert.match(text, /^d-i debian-installer\/exit\/poweroff boolean true$/m);
  });
  it('leaves the passphrase to the installer when it is asked', async () => {
    const text = preseedText(await config({ installer: 'installer:\n  encryption: {enabled: true}' }));
    assert.match(text, /method string crypto/);
    assert.doesNotMatch(text, /partman-crypto\/passphrase/);
    assert.equal(debconfCheck(text).status, 0);
  });
  it('runs the late script that writes the company sources inside the target', async () => {
    const text = preseedText(await config());
    const m = /^d-i preseed\/late_command string in-target sh -c "echo ([A-Za-z0-9+/=]+) \| base64 -d \| sh"$/m.exec(text);
    assert.ok(m, 'late_command');
    const script = Buffer.from(m[1]!, 'base64').toString();
    assert.match(script, new RegExp(`URIs: ${COMPANY_URL}`));
    assert.match(script, /Signed-By:/);
  });
});

describe('autoinstall', () => {
  it('has the structure subiquity reads: LVM on LUKS with the password, apt sources with the key, late-commands', async () => {
    const doc = autoinstallDocument(await config());
    assert.equal(doc.version, 1);
    assert.deepEqual(doc.storage, { layout: { name: 'lvm', match: { size: 'largest' }, password: PASSPHRASE } });
    assert.deepEqual(doc.identity, { hostname: 'acme', username: 'tech', password: PASSWORD_HASH, realname: 'tech' });
    const src = doc.apt.sources['golden-acme.list']!;
    assert.equal(src.source, `deb [signed-by=$KEY_FILE] ${COMPANY_URL} bookworm main`);
    assert.match(src.key, /^-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n/);
    assert.deepEqual(doc.packages, ['unattended-upgrades']);
    assert.equal(doc.shutdown, 'poweroff');
    assert.match(doc['late-commands'][0]!, /^curtin in-target --target=\/target -- sh -c "echo [A-Za-z0-9+/=]+ \| base64 -d \| sh"$/);
    assert.equal(doc['interactive-sections'], undefined);
  });
  it('makes storage and identity interactive when the config leaves them open', async () => {
    const doc = autoinstallDocument(await config({ installer: 'installer:\n  encryption: {enabled: true}' }));
    assert.deepEqual(doc['interactive-sections'], ['storage', 'identity']);
    assert.equal(doc.storage.layout.password, undefined);
  });
});

describe('golden installer (CLI)', () => {
  it('prints the autoinstall user-data as #cloud-config YAML', async () => {
    const f = await writeInstallerConfig(tempDir());
    const r = await runGolden(['installer', 'autoinstall', f.configPath]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^#cloud-config\n/);
    const doc = parse(r.stdout) as { autoinstall: { version: number; storage: { layout: { name: string } } } };
    assert.equal(doc.autoinstall.version, 1);
    assert.equal(doc.autoinstall.storage.layout.name, 'lvm');
  });
  it('writes the preseed with mode 0600', async () => {
    const f = await writeInstallerConfig(tempDir());
    const out = join(f.dir, 'out', 'preseed.cfg');
    const r = await runGolden(['installer', 'preseed', f.configPath, '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    assert.match(readFileSync(out, 'utf8'), /partman-auto\/method string crypto/);
  });
  it('says what is missing for a config without an installer section', async () => {
    const f = await writeInstallerConfig(tempDir(), { installer: '' });
    const r = await runGolden(['installer', 'preseed', f.configPath]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /has no installer section/);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
  });
  it('writes the live image part as a tree', async () => {
    const f = await writeInstallerConfig(tempDir());
    const dir = join(f.dir, 'parts');
    const r = await runGolden(['installer', 'files', f.configPath, '--dir', dir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as { files: string[] };
    assert.ok(summary.files.includes('/usr/lib/golden-installer/golden-installer'));
    assert.equal(statSync(join(dir, 'usr/lib/golden-installer/golden-installer')).mode & 0o777, 0o755);
    assert.equal(statSync(join(dir, 'etc/golden/installer.conf')).mode & 0o777, 0o600);
  });
});
