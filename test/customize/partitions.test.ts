import assert from 'node:assert/strict';

import { join } from 'node:path';
import { test } from 'node:test';
import { kindFromBytes } from '../../src/customize/detect.js';
import { fileReader } from '../../src/customize/disk.js';
import { parseLsP } from '../../src/customize/ext4.js';
import { imageMounts, matchFstabSpec, parseFstab, type ProbedPartition } from '../../src/customize/fstab.js';
import { layerOrder } from '../../src/customize/iso.js';
import { parsePartitionTable, probeFilesystem } from '../../src/customize/partitions.js';
import { run } from '../../src/exec/run.js';
import { tempDir } from '../helpers.js';

interface SfdiskJson {
  partitiontable: { label: string; partitions: { node: string; start: number; size: number; type: string; uuid?: string; name?: string }[] };
}

async function sfdiskDisk(script: string): Promise<{ file: string; sfdisk: SfdiskJson }> {
  const file = join(tempDir(), 'disk.raw');
  await run('truncate', ['-s', '256M', file]);
  await run('sfdisk', ['--quiet', file], { input: script.replaceAll('DISK', file) });
  return { file, sfdisk: JSON.parse((await run('sfdisk', ['--json', file])).stdout) as SfdiskJson };
}

test('GPT read from the bytes matches what sfdisk wrote (offsets, sizes, types, PARTUUIDs, names)', async () => {
  const { file, sfdisk } = await sfdiskDisk('label: gpt\nsize=16MiB, type=U, name=ESP\nsize=1MiB, type=21686148-6449-6E6F-744E-656564454649, name=bios\ntype=L, name=root\n');
  const { read, close } = fileReader(file);
  const table = parsePartitionTable(read);
  close();
  assert.equal(table?.kind, 'gpt');
  assert.deepEqual(
    table!.partitions.map((p) => ({ start: p.offset / 512, size: p.size / 512, type: p.type, uuid: p.partuuid, name: p.name })),
    sfdisk.partitiontable.partitions.map((p) => ({ start: p.start, size: p.size, type: p.type, uuid: p.uuid, name: p.name })),
  );
  assert.deepEqual(table!.partitions.map((p) => p.role), ['esp', 'bios-boot', 'linux']);
});

test('MBR with logical partitions in an extended one is read like Linux numbers it', async () => {
  const { file, sfdisk } = await sfdiskDisk('label: dos\nlabel-id: 0x12345678\nsize=32MiB, type=83\nsize=150MiB, type=5\nDISK5 : size=20MiB, type=82\nDISK6 : size=40MiB, type=83\n');
  const { read, close } = fileReader(file);
  const table = parsePartitionTable(read);
  close();
  assert.equal(table?.kind, 'mbr');
  const expected = sfdisk.partitiontable.partitions.map((p) => ({ number: Number(/(\d+)$/.exec(p.node)![1]), start: p.start, size: p.size }));
  assert.deepEqual(table!.partitions.map((p) => ({ number: p.number, start: p.offset / 512, size: p.size / 512 })), expected);
  assert.deepEqual(table!.partitions.map((p) => p.partuuid), ['12345678-01', '12345678-02', '12345678-05', '12345678-06']);
  assert.deepEqual(table!.partitions.map((p) => p.role), ['linux', 'extended', 'swap', 'linux']);
});

test('filesystem signatures give the UUID and label blkid reports', async () => {
  const dir = tempDir();
  const cases: [string, string[], number][] = [
    ['ext4', ['mkfs.ext4', '-q', '-L', 'rootfs'], 16],
    ['vfat', ['mkfs.vfat', '-n', 'EFI'], 16],
    ['btrfs', ['mkfs.btrfs', '-q', '-L', 'data'], 128],
    ['xfs', ['mkfs.xfs', '-q', '-L', 'xroot'], 320],
  ];
  for (const [type, mkfs, mib] of cases) {
    const f = join(dir, `${type}.img`);
    await run('truncate', ['-s', `${mib}M`, f]);
    await run(mkfs[0]!, [...mkfs.slice(1), f]);
    const blkid = (await run('blkid', ['-o', 'export', f])).stdout;
    const val = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(blkid)?.[1] ?? '';
    const { read, close } = fileReader(f);
    const sig = probeFilesystem(read, 0);
    close();
    assert.equal(sig?.type, type);
    assert.equal(sig?.uuid.toLowerCase(), val('UUID').toLowerCase(), `${type} UUID`);
    assert.equal(sig?.label, val('LABEL'), `${type} label`);
  }
});

test('fstab entries are matched to partitions by UUID, LABEL, PARTUUID, PARTLABEL and device name', () => {
  const parts: ProbedPartition[] = [
    { number: 1, offset: 0, size: 1, type: '', partuuid: 'AAAA-1', name: 'EFI', role: 'esp', fs: { type: 'vfat', uuid: 'ABCD-1234', label: '' } },
    { number: 2, offset: 0, size: 1, type: '', partuuid: 'BBBB-2', name: 'boot', role: 'linux', fs: { type: 'ext4', uuid: 'u-2', label: 'BOOT' } },
    { number: 3, offset: 0, size: 1, type: '', partuuid: 'CCCC-3', name: 'root', role: 'root', fs: { type: 'ext4', uuid: 'u-3', label: 'root' } },
  ];
  const fstab = parseFstab('# c\nUUID=u-3 / ext4 defaults 0 1\nLABEL=BOOT /boot ext4 defaults 0 2\nUUID=abcd-1234 /boot/efi vfat umask=0077 0 1\nPARTLABEL=root /srv\\040data ext4 defaults\n/dev/vda2 /mnt/two ext4 defaults\nPARTUUID=cccc-3 /mnt/three ext4 defaults\n/swapfile none swap sw 0 0\ntmpfs /tmp tmpfs defaults 0 0\n');
  const mounts = imageMounts(fstab);
  assert.deepEqual(mounts.map((m) => m.mountpoint), ['/boot', '/srv data', '/boot/efi', '/mnt/two', '/mnt/three'], 'parents before children');
  assert.deepEqual(mounts.map((m) => matchFstabSpec(m.spec, parts)?.number), [2, 3, 1, 2, 3]);
  assert.equal(matchFstabSpec('UUID=nope', parts), undefined);
  assert.equal(matchFstabSpec('/dev/disk/by-label/BOOT', parts)?.number, 2);
});

test('ISO layer order: filesystem.module, casper layerfs-path chain, else by name', () => {
  const files = ['02-packages.squashfs', '01-base.squashfs', '03-config.squashfs', 'vmlinuz'];
  assert.deepEqual(layerOrder(files, '01-base.squashfs\n02-packages.squashfs\n03-config.squashfs\n'), ['01-base.squashfs', '02-packages.squashfs', '03-config.squashfs']);
  assert.throws(() => layerOrder(files, 'missing.squashfs\n'), /missing\.squashfs/);
  assert.deepEqual(layerOrder(['base.squashfs', 'base.packages.squashfs', 'base.packages.config.squashfs'], undefined, 'base.packages.config.squashfs\n'), ['base.squashfs', 'base.packages.squashfs', 'base.packages.config.squashfs']);
  assert.deepEqual(layerOrder(['filesystem.squashfs']), ['filesystem.squashfs']);
});

test('kind detection from bytes', () => {
  const head = Buffer.alloc(0x10200);
  const tail = Buffer.alloc(512);
  const with_ = (at: number, s: string) => {
    const b = Buffer.from(head);
    b.write(s, at, 'latin1');
    return b;
  };
  assert.equal(kindFromBytes(with_(0, 'QFI\xfb'), tail), 'disk');
  assert.equal(kindFromBytes(with_(0, 'vhdxfile'), tail), 'disk');
  assert.equal(kindFromBytes(with_(0x8001, 'CD001'), tail), 'iso');
  assert.equal(kindFromBytes(with_(257, 'ustar'), tail), 'tar');
  assert.equal(kindFromBytes(Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), head]), tail), 'tar');
  assert.equal(kindFromBytes(with_(512, 'EFI PART'), tail), 'disk');
  assert.equal(kindFromBytes(head, Buffer.from('conectix'.padEnd(512, '\0'))), 'disk');
  assert.equal(kindFromBytes(head, tail), 'unknown');
});

test('debugfs ls -p lines are parsed into entries', () => {
  const out = '/2/040755/0/0/.//\n/2/040755/0/0/..//\n/13/104751/1234/5678/f/3/\n/16/020644/0/0/null/0/\n';
  assert.deepEqual(parseLsP('/', out), [
    { path: '/', inode: 2, mode: 0o40755, uid: 0, gid: 0 },
    { path: '/f', inode: 13, mode: 0o104751, uid: 1234, gid: 5678 },
    { path: '/null', inode: 16, mode: 0o20644, uid: 0, gid: 0 },
  ]);
  assert.deepEqual(parseLsP('/d', out).map((e) => e.path), ['/d/f', '/d/null']);
});

