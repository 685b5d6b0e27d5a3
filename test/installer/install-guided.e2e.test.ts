// The guided installer driven over the serial console under SeaBIOS (issue 6): the test confirms the disk,
// types a too-short passphrase (refused), then a good one twice, the host name and the user's password;
// the installed disk then boots with the typed passphrase and reports what the automatic install does.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tempDir } from '../helpers.js';
import { INSTALL_E2E_SKIP, assertInstalled, bootInstalled, buildInstallIso, install } from './install-run.js';

describe('guided install over the serial console (QEMU)', { timeout: 120 * 60_000, skip: INSTALL_E2E_SKIP }, () => {
  it('asks for the disk, refuses a short passphrase, takes the answers, and the disk boots with them', async () => {
    const work = tempDir('golden-install-guided-');
    const iso = await buildInstallIso(work, { encrypt: true, guided: true, outputName: 'installer-e2e-guided' });
    const passphrase = 'typed on the console';
    const installed = await install({ iso, firmware: 'bios', workDir: work, guided: { passphrase } });
    assert.match(installed.installConsole, /Refused: the passphrase must have at least 10 characters/);
    const booted = await bootInstalled({ disk: installed.disk, firmware: 'bios', workDir: work, passphrase });
    assertInstalled(installed, booted);
  });
});
