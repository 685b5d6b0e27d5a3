import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { goldenConfigSchema, storageSchema } from '../../src/config/schema.js';
import { InputError } from '../../src/errors.js';
import { patchBootSector, patchCoreImage } from '../../src/outputs/disk/bios-boot.js';
import { qemuImgTarget } from '../../src/outputs/disk/convert.js';
import { xfsProtofile } from '../../src/outputs/disk/filesystems.js';
import { defaultGrub, espGrubCfg } from '../../src/outputs/disk/grub.js';
import { diskKernelArgs, fstab } from '../../src/outputs/disk/image-setup.js';
import { checkStorage, derivedUuid, MiB, planLayout } from '../../src/outputs/disk/layout.js';
import { diskImagePackages } from '../../src/outputs/disk/outputs.js';
import { sfdiskScript } from '../../src/outputs/disk/partition-table.js';
import { tempDir } from '../helpers.js';

const storage = (input: unknown = {}) => storageSchema.parse(input);

describe('disk layout', () => {
  it('default: BIOS boot + ESP + root filling the rest, 1 MiB aligned, root sized from content plus 25%', () => {
    const l = planLayout({ storage: storage(), needs: { root: 800 * MiB, ESP: 10 * MiB }, seed: 's' });
    assert.equal(l.table, 'gpt');
    assert.deepEqual(l.partitions.map((p) => [p.label, p.type, p.fs, p.mountpoint, p.offset / MiB, p.size / MiB]), [
      ['BIOS', 'bios-boot', 'none', undefined, 1, 1],
      ['ESP', 'esp', 'vfat', '/boot/efi', 2, 127],
      ['root', 'root', 'ext4', '/', 129, 1000],
    ]);
    assert.equal(l.totalBytes, (1 + 1 + 127 + 1000 + 1) * MiB);
  });

  it('fixed disk size: percentages share what the fixed partitions leave', () => {
    const l = planLayout({
      storage: storage({ size: '4G', table: 'mbr', bootType: 'bios', partitions: [
        { label: 'root', size: '75%', type: 'root' },
        { label: 'home', size: '25%', type: 'home', filesystem: 'xfs' },
      ] }),
      needs: {},
      seed: 's',
    });
    const [root, home] = l.partitions;
    assert.equal(root!.offset, MiB);
    assert.equal(root!.size + home!.size, 4096 * MiB - MiB);
    assert.equal(home!.offset, root!.offset + root!.size);
    assert.equal(home!.mountpoint, '/home');
    assert.equal(root!.size % MiB, 0);
  });

  it('content larger than a fixed partition is an error naming the field', () => {
    assert.throws(
      () => planLayout({ storage: storage({ partitions: [{ label: 'root', size: '100M', type: 'root' }], bootType: 'efi' }), needs: { root: 200 * MiB }, seed: 's' }),
      (e: unknown) => e instanceof InputError && /storage\.partitions\[0\]\.size/.test(e.message) && /needs 200 MiB/.test(e.message),
    );
  });

  it('identifiers are stable for a seed and differ between seeds', () => {
    const a = planLayout({ storage: storage(), needs: {}, seed: 'one' });
    const b = planLayout({ storage: storage(), needs: {}, seed: 'one' });
    const c = planLayout({ storage: storage(), needs: {}, seed: 'two' });
    assert.deepEqual(a, b);
    assert.notEqual(a.partitions[2]!.fsUuid, c.partitions[2]!.fsUuid);
    assert.match(derivedUuid('x'), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.match(a.partitions[1]!.fsUuid, /^[0-9A-F]{8}$/);
  });

  it('rejects layouts that cannot boot as asked', () => {
    assert.throws(() => checkStorage(storage({ bootType: 'bios', partitions: [{ label: 'root', size: '100%', type: 'root' }] })), /needs a partition of type bios-boot/);
    assert.throws(() => checkStorage(storage({ bootType: 'efi', partitions: [{ label: 'root', size: '100%', type: 'root' }] })), /needs a partition of type esp/);
    assert.throws(() => checkStorage(storage({ table: 'mbr', partitions: [{ label: 'b', size: '1M', type: 'bios-boot' }, { label: 'root', size: '100%', type: 'root' }] })), /BIOS boot partition is for GPT/);
    assert.throws(() => checkStorage(storage({ bootType: 'bios', table: 'mbr', partitions: [{ label: 'r', size: '50%', type: 'root' }, { label: 'r2', size: '50%', type: 'linux', mountpoint: '/' }] })), /exactly one root/);
    checkStorage(storage({ bootType: 'bios', table: 'mbr', partitions: [{ label: 'root', size: '100%', type: 'root' }] }));
  });
});

describe('partition table script', () => {
  it('GPT: types, names, GUIDs and the legacy-bootable root', () => {
    const l = planLayout({ storage: storage(), needs: {}, seed: 's' });
    const script = sfdiskScript(l);
    assert.match(script, /^label: gpt$/m);
    assert.match(script, /start=2048, size=2048, type=21686148-6449-6E6F-744E-656564454649, uuid=[0-9A-F-]{36}, name="BIOS"/);
    assert.match(script, /type=C12A7328-F81F-11D2-BA4B-00A0C93EC3B8, .*name="ESP"/);
    assert.match(script, /name="root", attrs="LegacyBIOSBootable"/);
  });
  it('MBR: type bytes and one active partition', () => {
    const l = planLayout({ storage: storage({ table: 'mbr', bootType: 'both', partitions: [{ label: 'ESP', size: '64M', type: 'esp' }, { label: 'swap', size: '64M', type: 'swap' }, { label: 'root', size: '100%', type: 'root' }] }), needs: {}, seed: 's' });
    const script = sfdiskScript(l);
    assert.match(script, /^label: dos$/m);
    assert.match(script, /^label-id: 0x[0-9a-f]{8}$/m);
    assert.match(script, /type=ef$/m);
    assert.match(script, /type=82$/m);
    assert.equal(script.match(/bootable/g)?.length, 1);
    assert.match(script, /type=83, bootable$/m);
  });
});

describe('GRUB BIOS stage', () => {
  it('boot sector keeps the disk BPB and partition table and points at core.img', () => {
    const boot = Buffer.alloc(512, 0xaa);
    const disk = Buffer.alloc(512, 0x11);
    const out = patchBootSector(boot, disk, 2048);
    assert.equal(out[0], 0xaa);
    assert.equal(out[0x03], 0x11);
    assert.equal(out[0x59], 0x11);
    assert.equal(out[0x5a], 0xaa);
    assert.equal(out.readBigUInt64LE(0x5c), 2048n);
    assert.equal(out[0x64], 0xff);
    assert.equal(out.readUInt16LE(0x66), 0x9090);
    assert.equal(out[0x1b7], 0xaa);
    assert.deepEqual(out.subarray(0x1b8), disk.subarray(0x1b8));
  });
  it('core.img blocklist: start + 1, sectors - 1, segment 0x820', () => {
    const core = patchCoreImage(Buffer.alloc(512 * 60 + 100, 1), 2048);
    assert.equal(core.length, 512 * 61);
    assert.equal(core.readBigUInt64LE(0x1f4), 2049n);
    assert.equal(core.readUInt16LE(0x1fc), 60);
    assert.equal(core.readUInt16LE(0x1fe), 0x820);
  });
});

describe('image files for disks', () => {
  const layout = planLayout({ storage: storage({ partitions: [
    { label: 'BIOS', size: '1M', type: 'bios-boot' },
    { label: 'ESP', size: '127M', type: 'esp' },
    { label: 'boot', size: '256M', type: 'boot' },
    { label: 'swap', size: '64M', type: 'swap' },
    { label: 'root', size: '100%', type: 'root' },
  ] }), needs: {}, seed: 's' });

  it('fstab by UUID and by label, parents before children, swap', () => {
    const byUuid = fstab(layout, 'uuid');
    const lines = byUuid.split('\n').filter((l) => l && !l.startsWith('#'));
    assert.match(lines[0]!, /^UUID=[0-9a-f-]{36} \/ ext4 defaults,errors=remount-ro 0 1$/);
    assert.match(lines[1]!, /^UUID=[0-9a-f-]{36} \/boot ext4 defaults 0 2$/);
    assert.match(lines[2]!, /^UUID=[0-9A-F]{4}-[0-9A-F]{4} \/boot\/efi vfat umask=0077,x-systemd.automount 0 2$/);
    assert.match(lines[3]!, /^UUID=[0-9a-f-]{36} none swap sw 0 0$/);
    assert.match(fstab(layout, 'label'), /^LABEL=ESP \/boot\/efi vfat/m);
  });

  it('a separate /boot moves GRUB and kernel paths to the root of that filesystem', () => {
    const boot = layout.partitions.find((p) => p.label === 'boot')!;
    assert.equal(espGrubCfg(layout), `search --no-floppy --fs-uuid --set=root ${boot.fsUuid}\nset prefix=($root)/grub\nconfigfile $prefix/grub.cfg\n`);
  });

  it('kernel arguments get a serial console unless one is given; /etc/default/grub keeps them for update-grub', () => {
    assert.deepEqual(diskKernelArgs(goldenConfigSchema.parse({ name: 'x' })), ['console=tty0', 'console=ttyS0,115200n8']);
    assert.deepEqual(diskKernelArgs(goldenConfigSchema.parse({ name: 'x', kernel: { commandLine: ['console=ttyS1', 'quiet'] } })), ['console=ttyS1', 'quiet']);
    assert.match(defaultGrub('debian', ['quiet', 'console=ttyS0']), /^GRUB_CMDLINE_LINUX="quiet console=ttyS0"$/m);
    assert.match(defaultGrub('ubuntu', []), /^GRUB_DISTRIBUTOR=Ubuntu$/m);
  });

  it('image packages follow the boot type and filesystems', () => {
    const both = diskImagePackages(goldenConfigSchema.parse({ name: 'x' }));
    for (const p of ['linux-image-amd64', 'grub2-common', 'grub-pc-bin', 'shim-signed', 'grub-efi-amd64-signed', 'fdisk', 'dosfstools']) assert.ok(both.includes(p), p);
    const bios = diskImagePackages(goldenConfigSchema.parse({ name: 'x', storage: { bootType: 'bios', table: 'mbr', growRoot: false, partitions: [{ label: 'root', size: '100%', type: 'root', filesystem: 'xfs' }] } }));
    assert.ok(!bios.includes('shim-signed') && !bios.includes('fdisk'));
    assert.ok(bios.includes('xfsprogs'));
  });

  it('qemu-img targets: fixed VHD keeps its exact size, qcow2 compression is opt-in', () => {
    assert.deepEqual(qemuImgTarget('vhd', { type: 'vhd', subformat: 'fixed' }), { fmt: 'vpc', args: ['-o', 'subformat=fixed,force_size=on'] });
    assert.deepEqual(qemuImgTarget('qcow2', { type: 'qcow2', compression: 'none' }), { fmt: 'qcow2', args: [] });
    assert.deepEqual(qemuImgTarget('qcow2', { type: 'qcow2', compression: 'zstd' }), { fmt: 'qcow2', args: ['-c', '-o', 'compression_type=zstd'] });
  });

  it('vmdk: monolithicSparse by default, streamOptimized when asked', () => {
    const vmdk = (o: object) => goldenConfigSchema.parse({ name: 'x', outputs: [{ type: 'vmdk', ...o }] }).outputs[0] as never;
    assert.deepEqual(qemuImgTarget('vmdk', vmdk({})), { fmt: 'vmdk', args: ['-o', 'subformat=monolithicSparse'] });
    assert.deepEqual(qemuImgTarget('vmdk', vmdk({ subformat: 'streamOptimized' })), { fmt: 'vmdk', args: ['-o', 'subformat=streamOptimized'] });
    assert.throws(() => vmdk({ subformat: 'twoGbMaxExtentSparse' }));
  });
});

describe('xfs protofile', () => {
  it('describes a tree with modes, owners, symlinks and nesting', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'a/b'), { recursive: true });
    writeFileSync(join(dir, 'a/b/f'), 'x');
    // chown clears the setuid bit, so it goes first
    execFileSync('chown', ['12:34', join(dir, 'a/b/f')]);
    execFileSync('chmod', ['4755', join(dir, 'a/b/f')]);
    symlinkSync('b/f', join(dir, 'a/l'));
    const proto = xfsProtofile(dir);
    const lines = proto.trimEnd().split('\n');
    assert.equal(lines[0], '/dev/null');
    assert.equal(lines[1], '0 0');
    assert.match(proto, /^ a d--755 0 0$/m);
    assert.match(proto, /^  b d--755 0 0$/m);
    assert.ok(proto.includes(`   f -u-755 12 34 ${join(dir, 'a/b/f')}\n`));
    assert.match(proto, /^  l l--777 0 0 b\/f$/m);
    assert.equal(lines.at(-1), '$');
  });
});

describe('payload', () => {
  it('the grow-root script passes shellcheck', () => {
    execFileSync('shellcheck', [join(process.cwd(), 'src/outputs/disk/payload/golden-growroot.sh')]);
  });
});
