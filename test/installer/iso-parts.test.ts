// The seam with the ISO: packages, boot entries and files derived from the installer section. The
// generated installer.conf is read back by bash itself, as the payload reads it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { INSTALLER_CONF, TARGET_FILES, installerIsoParts } from '../../src/installer/iso-parts.js';
import { tempDir } from '../helpers.js';
import { COMPANY_URL, PASSPHRASE, writeInstallerConfig } from './fixture-config.js';

async function parts(opts: Parameters<typeof writeInstallerConfig>[1] = {}) {
  const { config } = await loadConfig((await writeInstallerConfig(tempDir(), opts)).configPath);
  return { config, parts: installerIsoParts(config) };
}

function sourceConf(content: string, script: string): string {
  const file = join(tempDir(), 'installer.conf');
  writeFileSync(file, content);
  const r = spawnSync('bash', ['-c', `set -euo pipefail; . "$1"; ${script}`, 'x', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('installerIsoParts', () => {
  it('is undefined without an installer section', async () => {
    const { config } = await parts({ installer: '' });
    assert.equal(installerIsoParts(config), undefined);
  });

  it('offers a guided entry, and the automatic one when the installer is unattended', async () => {
    const { parts: p } = await parts();
    assert.deepEqual(p!.bootEntries, [
      { id: 'install', title: 'Install acme-desktop', kernelArgs: ['golden.install=guided'] },
      { id: 'install-auto', title: 'Install acme-desktop automatically (erases the largest disk)', kernelArgs: ['golden.install=auto'] },
    ]);
    const guided = await parts({ installer: 'installer:\n  disk: /dev/nvme0n1' });
    assert.deepEqual(guided.parts!.bootEntries.map((e) => e.id), ['install']);
    const configured = await parts({ installer: 'installer:\n  disk: /dev/nvme0n1\n  automaticEntry: true' });
    assert.equal(configured.parts!.bootEntries[1]!.title, 'Install acme-desktop automatically (erases /dev/nvme0n1)');
  });

  it('asks for what installing needs in the live image', async () => {
    const { parts: p } = await parts();
    for (const pkg of ['cryptsetup', 'cryptsetup-initramfs', 'grub-pc-bin', 'grub-efi-amd64-signed', 'shim-signed', 'efibootmgr', 'dosfstools', 'whiptail', 'squashfs-tools', 'attr', 'unattended-upgrades']) {
      assert.ok(p!.imagePackages.includes(pkg), pkg);
    }
  });

  it('writes a bash-sourceable installer.conf, readable by root only, with the passphrase from the file', async () => {
    const { parts: p } = await parts();
    const conf = p!.files.find((f) => f.path === INSTALLER_CONF)!;
    assert.equal(conf.mode, 0o600);
    const out = sourceConf(String(conf.content), 'printf "%s\\n" "$GOLDEN_PASSPHRASE" "$GOLDEN_HOSTNAME" "$GOLDEN_AUTO_ALLOWED" "$GOLDEN_KERNEL_ARGS" "${#GOLDEN_LAYOUT[@]}" "${GOLDEN_LAYOUT[3]}"');
    assert.equal(out, `${PASSPHRASE}\nacme-{serial}\n1\nconsole=tty0 console=ttyS0,115200\n4\nroot|100%|root|ext4|/|defaults\n`);
  });

  it('passes the argon2id cost to the installer: laptop defaults, or what the config says', async () => {
    const kdf = async (installer?: string) => {
      const { parts: p } = await parts(installer === undefined ? {} : { installer });
      return sourceConf(String(p!.files.find((f) => f.path === INSTALLER_CONF)!.content), 'printf "%s %s" "$GOLDEN_KDF_MEMORY_KIB" "$GOLDEN_KDF_TIME_MS"');
    };
    assert.equal(await kdf(), '1048576 2000');
    assert.equal(await kdf('installer:\n  encryption: {enabled: true, kdf: {memoryMiB: 32, iterationTimeMs: 100}}'), '32768 100');
  });

  it('refuses a passphrase variable that is not set at build time', async () => {
    const { config } = await loadConfig((await writeInstallerConfig(tempDir(), { installer: 'installer:\n  encryption: {enabled: true, passphrase: {env: GOLDEN_TEST_UNSET_PASSPHRASE}}' })).configPath);
    assert.throws(() => installerIsoParts(config), /GOLDEN_TEST_UNSET_PASSPHRASE is not set/);
  });

  it('carries the company sources with the key inline and the upgrade policy for the installed system', async () => {
    const { parts: p } = await parts();
    const sources = p!.files.find((f) => f.path === `${TARGET_FILES}/etc/apt/sources.list.d/golden-acme.sources`);
    assert.ok(sources);
    assert.match(String(sources.content), new RegExp(`^URIs: ${COMPANY_URL}$`, 'm'));
    assert.match(String(sources.content), /^Signed-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n \.\n/m);
    assert.ok(p!.files.some((f) => f.path === `${TARGET_FILES}/etc/apt/apt.conf.d/20auto-upgrades`));
    const report = p!.files.find((f) => f.path === `${TARGET_FILES}/etc/golden/install-report.conf`)!;
    assert.equal(sourceConf(String(report.content), 'printf "%s\\n" "${COMPANY_URIS[@]}"'), `${COMPANY_URL}\n`);
  });

  it('places every file at an absolute path with a mode', async () => {
    const { parts: p } = await parts();
    for (const f of p!.files) {
      assert.match(f.path, /^\/[^ ]+$/);
      assert.ok(f.mode === 0o644 || f.mode === 0o755 || f.mode === 0o600, `${f.path} ${f.mode.toString(8)}`);
    }
  });
});
