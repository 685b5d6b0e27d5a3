// base: { rootfs: TARBALL }: a root filesystem made elsewhere (here by mmdebstrap, outside Golden)
// becomes the base layer; the rest of the config applies on top, and the disk image boots.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { VirtualMachine } from '../../src/vm/qemu.js';
import { assertBuilt, buildFixture, type FixtureBuild } from '../fixtures/build.js';
import { bootTree, cacheDir } from './fixture.js';

async function rootfsTarball(): Promise<string> {
  const tarball = join(cacheDir, 'bookworm-boot-rootfs.tar.zst');
  if (existsSync(tarball)) return tarball;
  const tree = await bootTree();
  const tmp = `${tarball}.tmp-${process.pid}`;
  execFileSync('tar', ['--create', '--zstd', `--file=${tmp}`, '--numeric-owner', '--xattrs', '--xattrs-include=*', '--directory', tree, '.']);
  renameSync(tmp, tarball);
  return tarball;
}

describe('disk image from a rootfs tarball', { timeout: 90 * 60_000 }, () => {
  let build: FixtureBuild;
  before(async () => {
    const tarball = await rootfsTarball();
    build = await buildFixture(`name: disk-rootfs\nbase:\n  rootfs: ${JSON.stringify(tarball)}\n`, { outputs: [{ type: 'qcow2' }] });
    assertBuilt(build);
  });

  it('boots with SeaBIOS to the marker and a login prompt', async () => {
    const qcow2 = build.outputs['qcow2']![0]!;
    const vm = await VirtualMachine.start({ image: qcow2, firmware: 'bios', snapshot: true });
    try {
      await vm.waitFor(/GOLDEN-BOOTED name=disk-rootfs/, 25 * 60_000);
      await vm.waitFor(/login:/, 25 * 60_000);
      assert.match(vm.console, /golden-growroot/);
    } finally {
      await vm.stop();
    }
  });
});
