// Disk outputs without booting: the layout sfdisk sees, a clean fsck of every filesystem, qemu-img's
// view of every format, and a build with no loop devices at all.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { BackgroundRemoval } from '../../src/outputs/disk/artefact.js';
import { convertImage } from '../../src/outputs/disk/convert.js';
import { assertBuilt, bootableFragment, buildFixture, parseEvents, testCacheDir, type FixtureBuild } from '../fixtures/build.js';
import { goldenBin, tempDir } from '../helpers.js';
import { fsckReadOnly, partitionTable, qemuImgInfo, readExt4File } from './inspect.js';

const MiB = 1024 * 1024;

describe('disk image: default layout', { timeout: 60 * 60_000 }, () => {
  let build: FixtureBuild;
  let raw: string;
  const scratch = tempDir('golden-disk-');
  before(async () => {
    build = await buildFixture('name: disk-formats\n', { outputs: [{ type: 'raw' }] });
    assertBuilt(build);
    raw = build.outputs['raw']![0]!;
  });

  it('the root filesystem is the cached one of the lower layers with the top layers written in', () => {
    const done = build.events.filter((e) => e.event === 'step-end' && e['ok'] === true).map((e) => String(e['step']));
    assert.ok(done.some((d) => d.startsWith('Root filesystem of the lower layers')), done.join(' | '));
    assert.ok(done.some((d) => d.startsWith('Writing the top layers')), done.join(' | '));
    assert.ok(!done.some((d) => d.startsWith('Making ext4')), 'no whole mkfs.ext4 of the merged tree');
  });

  it('sfdisk sees GPT: BIOS boot, ESP, root, 1 MiB aligned', () => {
    const t = partitionTable(raw);
    assert.equal(t.label, 'gpt');
    assert.deepEqual(t.partitions.map((p) => [p.name, p.type, p.start]), [
      ['BIOS', '21686148-6449-6E6F-744E-656564454649', 2048],
      ['ESP', 'C12A7328-F81F-11D2-BA4B-00A0C93EC3B8', 4096],
      ['root', '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709', 264192],
    ]);
    for (const p of t.partitions) assert.equal((p.start * 512) % MiB, 0);
  });

  it('fsck is clean on the ESP and the root filesystem', () => {
    const t = partitionTable(raw);
    fsckReadOnly('vfat', raw, t.partitions[1]!, scratch);
    const out = fsckReadOnly('ext4', raw, t.partitions[2]!, scratch);
    assert.match(out, /files/);
  });

  it('root holds fstab by UUID, grub.cfg, the grow-root unit; the ESP holds shim and signed GRUB', () => {
    const t = partitionTable(raw);
    const fstab = readExt4File(raw, t.partitions[2]!, '/etc/fstab');
    assert.match(fstab, /^UUID=[0-9a-f-]{36} \/ ext4 /m);
    assert.match(fstab, /^UUID=[0-9A-F]{4}-[0-9A-F]{4} \/boot\/efi vfat umask=0077/m);
    assert.match(readExt4File(raw, t.partitions[2]!, '/boot/grub/grub.cfg'), /linux \/boot\/vmlinuz-\S+ root=UUID=/);
    assert.match(readExt4File(raw, t.partitions[2]!, '/etc/systemd/system/golden-growroot.service'), /ExecStart=\/usr\/local\/sbin\/golden-growroot/);
    const esp = join(scratch, 'esp.img');
    execFileSync('dd', [`if=${raw}`, `of=${esp}`, 'bs=512', `skip=${t.partitions[1]!.start}`, `count=${t.partitions[1]!.size}`, 'status=none']);
    const listing = execFileSync('mdir', ['-/', '-b', '-i', esp, '::/EFI'], { encoding: 'utf8', env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } });
    for (const f of ['BOOT/BOOTX64.EFI', 'BOOT/grubx64.efi', 'BOOT/grub.cfg', 'debian/shimx64.efi', 'debian/grubx64.efi']) assert.ok(listing.toLowerCase().includes(`::/efi/${f.toLowerCase()}`), `${f} in\n${listing}`);
  });

  it('the MBR holds GRUB boot.img pointing at core.img in the BIOS boot partition', () => {
    const mbr = execFileSync('dd', [`if=${raw}`, 'bs=512', 'count=1', 'status=none']);
    assert.equal(mbr.readBigUInt64LE(0x5c), 2048n);
    assert.equal(mbr.readUInt16LE(0x1fe), 0xaa55);
    const core = execFileSync('dd', [`if=${raw}`, 'bs=512', 'skip=2048', 'count=1', 'status=none']);
    assert.equal(core.readBigUInt64LE(0x1f4), 2049n);
  });

  for (const [format, output, qemuFormat] of [
    ['qcow2', { type: 'qcow2', compression: 'zstd' }, 'qcow2'],
    ['vmdk', { type: 'vmdk', subformat: 'monolithicSparse' }, 'vmdk'],
    ['vhd', { type: 'vhd', subformat: 'fixed' }, 'vpc'],
    ['vhd', { type: 'vhd', subformat: 'dynamic' }, 'vpc'],
    ['vhdx', { type: 'vhdx' }, 'vhdx'],
  ] as const) {
    it(`${format} ${JSON.stringify(output)}: qemu-img check and info`, async () => {
      const work = join(scratch, `${format}-${'subformat' in output ? output.subformat : 'x'}`);
      mkdirSync(work, { recursive: true });
      const copy = join(work, 'disk.raw');
      execFileSync('cp', ['--sparse=always', raw, copy]);
      const out = join(work, `disk.${format}`);
      // the same conversion the builder runs after making the raw disk
      const later = new BackgroundRemoval();
      await convertImage(copy, out, format, output as never, work, later);
      await later.settled();
      assert.ok(!existsSync(copy), 'the raw work image is removed');
      // a fixed VHD is raw data plus a footer: qemu-img's probe cannot tell it from raw, so name the format
      const fixedVhd = 'subformat' in output && output.subformat === 'fixed';
      const info = qemuImgInfo(out, fixedVhd ? 'vpc' : undefined);
      assert.equal(info.format, qemuFormat);
      const rawSize = qemuImgInfo(raw)['virtual-size'];
      assert.equal(info['virtual-size'], rawSize);
      if (format === 'vhd') assert.equal(info['virtual-size'] % MiB, 0, 'Azure wants a whole number of MiB');
      if (format === 'vhd') {
        // qemu-img check does not know vpc: check the VHD footer instead (VHD spec: "conectix", disk type 2 fixed / 3 dynamic)
        const footer = execFileSync('tail', ['-c', '512', out]);
        assert.equal(footer.toString('latin1', 0, 8), 'conectix');
        assert.equal(footer.readUInt32BE(60), fixedVhd ? 2 : 3);
        assert.equal(Number(footer.readBigUInt64BE(48)), rawSize);
      } else {
        execFileSync('qemu-img', ['check', out]);
      }
      if (format === 'qcow2') assert.equal(info['format-specific']?.data?.['compression-type'], 'zstd');
      if (format === 'vmdk') assert.equal(info['format-specific']?.data?.['create-type'], 'monolithicSparse');
    });
  }
});

describe('disk image: custom MBR layout, built with no loop devices', { timeout: 60 * 60_000 }, () => {
  let build: FixtureBuild;
  let raw: string;
  const scratch = tempDir('golden-disk-mbr-');
  before(async () => {
    const dir = tempDir('golden-noloop-');
    // a size unique to this run, so the output cannot come from the cache: it is really built here
    const size = 3072 + (Date.now() % 997);
    const configPath = join(dir, 'golden.yaml');
    writeFileSync(configPath, `include: [${JSON.stringify(bootableFragment)}]
name: disk-mbr
storage:
  size: ${size}M
  table: mbr
  bootType: bios
  fstabBy: label
  growRoot: false
  partitions:
    - { label: root, size: 1800M, type: root, filesystem: ext4 }
    - { label: home, size: 400M, type: home, filesystem: xfs }
    - { label: swap, size: 64M, type: swap }
    - { label: srv, size: 100%, type: linux, filesystem: btrfs, mountpoint: /srv }
outputs:
  - type: raw
`);
    const outputDir = join(dir, 'out');
    // A private mount namespace whose /dev is a fresh tmpfs with no loop devices, and a losetup that
    // fails: the whole build (layers from the cache, then the disk) must still succeed.
    const script = [
      'set -eu',
      'mount -t tmpfs -o mode=0755 golden-dev /dev',
      'mknod -m 666 /dev/null c 1 3; mknod -m 666 /dev/zero c 1 5; mknod -m 666 /dev/full c 1 7',
      'mknod -m 666 /dev/random c 1 8; mknod -m 666 /dev/urandom c 1 9; mknod -m 666 /dev/tty c 5 0',
      'ln -s /proc/self/fd /dev/fd',
      'if ls /dev/loop* >/dev/null 2>&1; then echo "loop devices still visible" >&2; exit 97; fi',
      `mkdir -p ${dir}/bin && printf '#!/bin/sh\\necho "losetup: no loop devices here" >&2\\nexit 1\\n' > ${dir}/bin/losetup && chmod +x ${dir}/bin/losetup`,
      `PATH=${dir}/bin:$PATH exec "$@"`,
    ].join('\n');
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn('unshare', ['--mount', '--propagation', 'private', '--', 'bash', '-c', script, 'noloop', process.execPath, goldenBin, '--json', 'build', configPath, '--cache', testCacheDir(), '--output-dir', outputDir], { env: { ...process.env, NO_COLOR: '1' } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    const events = parseEvents(result.stdout);
    build = { code: result.code ?? -1, stdout: result.stdout, stderr: result.stderr, events, configPath, outputDir, outputs: {}, cached: {}, keys: {} };
    for (const e of events) if (e.event === 'output') build.outputs[String(e['type'])] = ((e['files'] as { path: string }[]) ?? []).map((f) => f.path);
    assertBuilt(build);
    raw = build.outputs['raw']![0]!;
  });

  it('the disk output was made in that setting, not taken from the cache', () => {
    const out = build.events.find((e) => e.event === 'output');
    assert.ok(out, 'an output event');
    assert.notEqual(out['cached'], true);
    // every filesystem was really made there (disk outputs are not cached, and this layout takes the whole path)
    const made = build.events.filter((e) => e.event === 'step-end' && e['ok'] === true).map((e) => String(e['step']));
    for (const fs of ['ext4 "root"', 'xfs "home"', 'swap "swap"', 'btrfs "srv"']) assert.ok(made.some((m) => m.startsWith(`Making ${fs}`)), `Making ${fs} in ${made.join(' | ')}`);
  });

  it('sfdisk sees the MBR layout asked for', () => {
    const t = partitionTable(raw);
    assert.equal(t.label, 'dos');
    assert.deepEqual(t.partitions.map((p) => [p.type, p.size * 512]), [
      ['83', 1800 * MiB],
      ['83', 400 * MiB],
      ['82', 64 * MiB],
      ['83', t.partitions[3]!.size * 512],
    ]);
    assert.equal(t.partitions[0]!.bootable, true);
    const last = t.partitions[3]!;
    assert.equal((last.start + last.size) * 512, qemuImgInfo(raw)['virtual-size']);
  });

  it('fsck is clean on ext4, xfs and btrfs; the swap area is recognised', () => {
    const [root, home, swap, srv] = partitionTable(raw).partitions;
    fsckReadOnly('ext4', raw, root!, scratch);
    fsckReadOnly('xfs', raw, home!, scratch);
    fsckReadOnly('btrfs', raw, srv!, scratch);
    assert.match(fsckReadOnly('swap', raw, swap!, scratch), /TYPE=swap/);
  });

  it('fstab names the filesystems by label; /home and /srv content went to their own filesystems', () => {
    const root = partitionTable(raw).partitions[0]!;
    const fstab = readExt4File(raw, root, '/etc/fstab');
    assert.match(fstab, /^LABEL=root \/ ext4 /m);
    assert.match(fstab, /^LABEL=home \/home xfs /m);
    assert.match(fstab, /^LABEL=srv \/srv btrfs /m);
    assert.match(fstab, /^LABEL=swap none swap /m);
  });
});
