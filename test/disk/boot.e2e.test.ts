// The default disk image boots under QEMU TCG with SeaBIOS, OVMF and OVMF with Secure Boot enforced.
// The BIOS boot also shows the first-boot work: the disk was enlarged with qemu-img first, so the root
// partition and filesystem must grow, and a NoCloud user-data in the image creates a user and prints a
// marker. The OVMF boot (no extra boot for it) also gets the `cidata` seed disk of a second build with
// `placement: seed-disk`, whose user-data prints its own marker: cloud-init takes the user-data of the
// seed disk over the one in the image.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { VirtualMachine, type Firmware } from '../../src/vm/qemu.js';
import { assertBuilt, buildFixture, type FixtureBuild } from '../fixtures/build.js';
import { tempDir } from '../helpers.js';

const BOOT_TIMEOUT = 25 * 60_000;

const config = (placement: 'image' | 'seed-disk', marker: string) => `name: disk-boot
packages:
  install: [cloud-init]
cloudInit:
  placement: ${placement}
  userData:
    users:
      - name: goldie
        shell: /bin/bash
    runcmd:
      - [sh, -c, 'echo "${marker} user=$(id -un goldie) uid=$(id -u goldie)" > /dev/ttyS0']
`;

async function boot(image: string, firmware: Firmware, snapshot: boolean, check: (vm: VirtualMachine) => Promise<void>, extraDisks: string[] = []): Promise<void> {
  const vm = await VirtualMachine.start({ image, firmware, snapshot, memoryMiB: 1024, extraDisks });
  try {
    await check(vm);
  } finally {
    await vm.stop();
  }
}

describe('default disk image boots', { timeout: 3 * BOOT_TIMEOUT + 60 * 60_000 }, () => {
  let build: FixtureBuild;
  let qcow2: string;
  let seedDisk: string;
  before(async () => {
    build = await buildFixture(config('image', 'GOLDEN-CLOUD-INIT'), { outputs: [{ type: 'qcow2' }] });
    assertBuilt(build);
    qcow2 = build.outputs['qcow2']![0]!;
    // same layers, so only the disk output is made again (from the cached lower filesystem)
    const seeded = await buildFixture(config('seed-disk', 'GOLDEN-SEED-DISK'), { outputs: [{ type: 'raw' }] });
    assertBuilt(seeded);
    seedDisk = seeded.outputs['raw']!.find((f) => f.endsWith('-seed.img'))!;
    assert.ok(seedDisk, `no seed disk among ${seeded.outputs['raw']!.join(', ')}`);
    assert.match(execFileSync('blkid', ['-o', 'export', seedDisk], { encoding: 'utf8' }), /LABEL=CIDATA/i);
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

  it('OVMF: boots to the marker and a login prompt; the user-data of the cidata seed disk runs', async () => {
    await boot(
      qcow2,
      'uefi',
      true,
      async (vm) => {
        await vm.waitFor(/GOLDEN-BOOTED name=disk-boot/, BOOT_TIMEOUT);
        await vm.waitFor(/login:/, BOOT_TIMEOUT);
        assert.doesNotMatch(vm.console, /Secure boot enabled/);
        const ci = await vm.waitFor(/GOLDEN-SEED-DISK user=(\S+) uid=(\d+)/, BOOT_TIMEOUT);
        assert.equal(ci[1], 'goldie');
        assert.ok(Number(ci[2]) >= 1000);
      },
      [seedDisk],
    );
  });

  it('OVMF with Secure Boot enforced: boots to the marker and a login prompt', async () => {
    await boot(qcow2, 'secure-boot', true, async (vm) => {
      await vm.waitFor(/GOLDEN-BOOTED name=disk-boot/, BOOT_TIMEOUT);
      await vm.waitFor(/login:/, BOOT_TIMEOUT);
      assert.match(vm.console, /Secure boot enabled/);
    });
  });
});
