// The e2e ISO (see fixture.ts) boots under OVMF (UEFI, no Secure Boot) to the marker and a login prompt.
// Its own file so that it runs in parallel with the SeaBIOS and Secure Boot boots.
import { before, test } from 'node:test';
import { bootToLogin } from './boot.js';
import { ISO_NAME, isoFixture } from './fixture.js';

let iso = '';
before(async () => {
  ({ iso } = await isoFixture());
});

test('boots with OVMF (UEFI)', { timeout: 80 * 60_000 }, async () => {
  await bootToLogin(iso, 'uefi', `GOLDEN-BOOTED name=${ISO_NAME}`);
});
