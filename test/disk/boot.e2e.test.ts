// The default disk image boots under QEMU TCG with SeaBIOS, OVMF and OVMF with Secure Boot enforced.
// The BIOS boot also shows the first-boot work: the disk was enlarged with qemu-img first, so the root
// partition and filesystem must grow, and a NoCloud user-data creates a user and prints a marker.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { VirtualMachine, type Firmware } from '../../src/vm/qemu.js';
import { assertBuilt, buildFixture, type FixtureBuild } from '../fixtures/build.js';
import { tempDir } from '../helpers.js';

const BOOT_TIMEOUT = 25 * 60_000;

const CONFIG = `name: disk-boot
packages:
  install: [cloud-init]
cloudInit:
  placement: image
  userData:
    users:
      - name: goldie
        shell: /bin/bash
    runcmd:
      - [sh, -c, 'echo "GOLDEN-CLOUD-INIT user=$(id -un goldie) uid=$(id -u goldie)" > /dev/ttyS0']
`;

async function boot(image: string, firmware: Firmware, snapshot: boolean, check: (vm: VirtualMachine) => Promise<void>): Promise<void> {
  const vm = await VirtualMachine.start({ image, firmware, snapshot, memoryMiB: 1024 });
  try {
    await check(vm);
  } finally {
    await vm.stop();
  }
}

describe('default disk image boots', { timeout: 3 * BOOT_TIMEOUT + 60 * 60_000 }, () => {
  let build: FixtureBuild;
  let qcow2: string;
  before(async () => {
    build = await buildFixture(CONFIG, { outputs: [{ type: 'qcow2' }] });
    assertBuilt(build);
    qcow2 = build.outputs['qcow2']![0]!;
  });

  it('SeaBIOS: after qemu-img resize, root grows at first boot; NoCloud user-data creates a user', async () => {
    const dir = tempDir('golden-boot-');
    const disk = join(dir, 'grown.qcow2');
    execFileSync('cp', ['--sparse=always', qcow2, disk]);
    const before = Number(JSON.parse(execFileSync('qemu-img', ['info', '--output=json', disk], { encoding: 'utf8' }))['virtual-size']);
    execFileSync('qemu-img', ['resize', '-q', disk, '+1G']);
    await boot(disk, 'bios', false, async (vm) => {
      const grown = await vm.waitFor(/golden-growroot: root filesystem now (\d+) MiB/, BOOT_TIMEOUT);
      // the root filesystem ends near the new end of the disk: more than the whole old disk
      assert.ok(Number(grown[1]) * 1024 * 1024 > before, `root is ${grown[1]} MiB, the disk was ${before} bytes before the resize`);
      await vm.waitFor(/GOLDEN-BOOTED name=disk-boot/, BOOT_TIMEOUT);
      await vm.waitFor(/login:/, BOOT_TIMEOUT);
      const ci = await vm.waitFor(/GOLDEN-CLOUD-INIT user=(\S+) uid=(\d+)/, BOOT_TIMEOUT);
      assert.equal(ci[1], 'goldie');
      assert.ok(Number(ci[2]) >= 1000);
    });
  });

  for (const firmware of ['uefi', 'secure-boot'] as const) {
    it(`${firmware === 'uefi' ? 'OVMF' : 'OVMF with Secure Boot enforced'}: boots to the marker and a login prompt`, async () => {
      await boot(qcow2, firmware, true, async (vm) => {
        await vm.waitFor(/GOLDEN-BOOTED name=disk-boot/, BOOT_TIMEOUT);
        await vm.waitFor(/login:/, BOOT_TIMEOUT);
        if (firmware === 'secure-boot') assert.match(vm.console, /Secure boot enabled/);
        else assert.doesNotMatch(vm.console, /Secure boot enabled/);
      });
    });
  }
});
