// The installer for real, under QEMU TCG: build an ISO with an installer section, boot it with a blank
// disk, install automatically with LUKS2, power off, boot the disk alone with SeaBIOS and with OVMF, give
// the passphrase on the serial console (a wrong one first: it must not unlock), and read the installed
// system's report: root on LUKS2, the company archive with Signed-By, unattended upgrades, a machine-id
// of its own, no live-boot, no disc sources.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { assertBuilt, buildFixture, testCacheDir } from '../fixtures/build.js';
import { tempDir } from '../helpers.js';
import { COMPANY_URL, PASSPHRASE } from './fixture-config.js';
import { installAndBoot, installConfig, isoIncludesInstaller, type InstallRun } from './install-run.js';

function assertInstalled(run: InstallRun): void {
  const r = run.report;
  assert.deepEqual(r['root-luks2'], ['yes'], `root on LUKS2:\n${run.bootConsole.slice(-3000)}`);
  assert.deepEqual(r['company-archive-signed'], ['yes'], `company archive with Signed-By: ${r['apt-source']?.join('; ')}`);
  assert.ok(r['apt-source']?.some((s) => s.includes(COMPANY_URL) && s.endsWith('signed-by=yes')));
  assert.deepEqual(r['unattended-upgrades'], ['yes']);
  assert.deepEqual(r['live-boot'], ['absent']);
  assert.deepEqual(r['cdrom-sources'], ['absent']);
  const id = r['machine-id']?.[0] ?? '';
  assert.match(id, /^[0-9a-f]{32}$/);
  assert.equal(run.machineIds.installed, id, 'the installed system keeps the machine-id the installer gave it');
  assert.notEqual(id, run.machineIds.image, "the machine-id is not the image's");
  assert.match(r['hostname']?.[0] ?? '', /^acme-[0-9a-z-]+$/);
}

describe('install from the ISO (QEMU)', { timeout: 360 * 60_000 }, () => {
  let iso = '';
  let work = '';
  before(async () => {
    if (!isoIncludesInstaller()) {
      // eslint-disable-next-line no-console
      console.log('# the ISO output does not take installerIsoParts() yet: the installer is added as files and packages of the config');
    }
    work = tempDir('golden-install-');
    const dir = join(work, 'config');
    mkdirSync(dir, { recursive: true });
    const text = await installConfig(dir, { encrypt: true });
    const built = await buildFixture(text, { dir, outputs: [{ type: 'iso' }], outputDir: join(testCacheDir(), 'installer-e2e-out') });
    assertBuilt(built);
    iso = built.outputs['iso']?.find((f) => f.endsWith('.iso')) ?? '';
    assert.ok(existsSync(iso), `the build made an ISO: ${JSON.stringify(built.outputs)}`);
  });

  it('installs with LUKS2 and boots the disk with SeaBIOS; a wrong passphrase does not unlock', async () => {
    const run = await installAndBoot({ iso, firmware: 'bios', workDir: work, passphrase: PASSPHRASE, wrongPassphrase: 'not the passphrase' });
    assertInstalled(run);
    assert.ok(Object.keys(run.steps).includes('bootloader'), `step timings on the console: ${JSON.stringify(run.steps)}`);
  });

  it('installs with LUKS2 and boots the disk with OVMF (UEFI)', async () => {
    const run = await installAndBoot({ iso, firmware: 'uefi', workDir: work, passphrase: PASSPHRASE });
    assertInstalled(run);
  });
});

describe('guided install over the serial console (QEMU)', { timeout: 240 * 60_000 }, () => {
  it('asks for the disk, refuses a short passphrase, takes the answers, and the disk boots with them', async () => {
    const work = tempDir('golden-install-guided-');
    const dir = join(work, 'config');
    mkdirSync(dir, { recursive: true });
    const built = await buildFixture(await installConfig(dir, { encrypt: true, guided: true }), { dir, outputs: [{ type: 'iso' }], outputDir: join(testCacheDir(), 'installer-e2e-guided-out') });
    assertBuilt(built);
    const iso = built.outputs['iso']!.find((f) => f.endsWith('.iso'))!;
    const passphrase = 'typed on the console';
    const run = await installAndBoot({ iso, firmware: 'bios', workDir: work, passphrase, guided: true });
    assert.match(run.installConsole, /passphrase refused|Refused: the passphrase must have at least 10 characters/);
    assertInstalled(run);
  });
});
