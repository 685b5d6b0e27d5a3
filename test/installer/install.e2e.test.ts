// The installer for real, under QEMU TCG (issue 6): build an ISO with an installer section, boot it under
// OVMF with a blank disk, install automatically with LUKS2, power off; then boot the installed disk alone
// with OVMF, give a wrong passphrase on the serial console (it must not unlock), then the right one, and
// read the installed system's report: root on LUKS2, the company archive with Signed-By, unattended
// upgrades, a machine-id of its own, no live-boot, no disc sources.
// The same disk then boots with SeaBIOS. The guided install (typed answers) runs under SeaBIOS and its
// disk boots with SeaBIOS, in install-guided.e2e.test.ts, so both firmwares install and boot, and both
// tests can run at once.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { tempDir } from '../helpers.js';
import { PASSPHRASE } from './fixture-config.js';
import { INSTALL_E2E_SKIP, assertInstalled, bootInstalled, buildInstallIso, install, type Installed } from './install-run.js';

describe('automatic install from the ISO with LUKS2 (QEMU)', { timeout: 150 * 60_000, skip: INSTALL_E2E_SKIP }, () => {
  let work = '';
  let installed: Installed;
  before(async () => {
    work = tempDir('golden-install-');
    const iso = await buildInstallIso(work, { encrypt: true, outputName: 'installer-e2e-auto' });
    installed = await install({ iso, firmware: 'uefi', workDir: work });
  });

  it('installs under OVMF, step by step', () => {
    for (const step of ['partition', 'encrypt', 'copy', 'initramfs', 'bootloader']) {
      assert.ok(step in installed.steps, `step ${step} on the console: ${JSON.stringify(installed.steps)}`);
    }
    assert.match(installed.installConsole, /GOLDEN-INSTALL-SUCCESS/);
  });

  it('boots the installed disk with OVMF: a wrong passphrase does not unlock, the right one does', async () => {
    const booted = await bootInstalled({ disk: installed.disk, firmware: 'uefi', workDir: work, passphrase: PASSPHRASE, wrongPassphrase: 'not the passphrase' });
    assertInstalled(installed, booted);
  });

  it('boots the same disk with SeaBIOS: the unattended install wrote both boot loaders', async () => {
    const booted = await bootInstalled({ disk: installed.disk, firmware: 'bios', workDir: work, passphrase: PASSPHRASE });
    assertInstalled(installed, booted);
  });
});
