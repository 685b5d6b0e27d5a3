// xfs and btrfs partitions of an MBR disk: the root (xfs, which needs the one isolated read-only loop
// mount) and a data filesystem (btrfs, via btrfs restore) that the root's fstab mounts by UUID.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { extractImageRoot } from '../../src/customize/extract.js';
import { run } from '../../src/exec/run.js';
import { MountNamespace } from '../../src/rootfs/namespace.js';
import { tempDir } from '../helpers.js';
import { smallTree } from './trees.js';

const BTRFS_UUID = '0b9d4a36-5c1e-4e8f-8d55-2a7c1f000002';
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

/** Fill an xfs image from a directory; mkfs.xfs cannot take one, so this test mounts it, isolated. */
async function fillXfs(img: string, tree: string, dir: string): Promise<void> {
  const mnt = join(dir, 'xfs-mnt');
  mkdirSync(mnt);
  const ns = await MountNamespace.open({ label: 'test xfs fill' });
  try {
    await ns.run('mount', ['-o', 'loop', img, mnt]);
    await ns.run('cp', ['-a', `${tree}/.`, `${mnt}/`]);
    await ns.run('umount', [mnt]);
  } finally {
    await ns.close();
  }
}

test('an MBR disk with an xfs root and a btrfs /srv/data (fstab by UUID) is extracted whole', { timeout: 10 * 60_000 }, async () => {
  const dir = tempDir();
  const root = smallTree(join(dir, 'r'));
  writeFileSync(join(root, 'etc/fstab'), `LABEL=xroot / xfs defaults 0 1\nUUID=${BTRFS_UUID} /srv/data btrfs defaults 0 0\n`);
  mkdirSync(join(root, 'srv/data'), { recursive: true });
  const data = join(dir, 'data');
  mkdirSync(join(data, 'reports'), { recursive: true });
  writeFileSync(join(data, 'reports/q1.txt'), 'quarter one\n');

  const disk = join(dir, 'disk.raw');
  await run('truncate', ['-s', '600M', disk]);
  await run('sfdisk', ['--quiet', disk], { input: 'label: dos\nsize=400MiB, type=83\ntype=83\n' });
  const parts = (JSON.parse((await run('sfdisk', ['--json', disk])).stdout) as { partitiontable: { partitions: { start: number; size: number }[] } }).partitiontable.partitions;
  const xfs = join(dir, 'xfs.img');
  await run('truncate', ['-s', `${parts[0]!.size * 512}`, xfs]);
  await run('mkfs.xfs', ['-q', '-L', 'xroot', xfs]);
  await fillXfs(xfs, root, dir);
  const btrfs = join(dir, 'btrfs.img');
  await run('truncate', ['-s', `${parts[1]!.size * 512}`, btrfs]);
  await run('mkfs.btrfs', ['-q', '-U', BTRFS_UUID, '--rootdir', data, btrfs]);
  for (const [img, p] of [[xfs, parts[0]!], [btrfs, parts[1]!]] as const) {
    await run('dd', [`if=${img}`, `of=${disk}`, 'bs=4M', 'conv=notrunc,sparse', 'oflag=seek_bytes', `seek=${p.start * 512}`, 'status=none']);
  }
  const before = sha(disk);

  const dest = join(dir, 'out');
  const r = await extractImageRoot(disk, dest);
  assert.equal(r.kind, 'disk');
  if (r.kind === 'disk') {
    assert.equal(r.details.table, 'mbr');
    assert.equal(r.details.root.fs, 'xfs');
    assert.deepEqual(r.details.mounts, [{ mountpoint: '/srv/data', partition: 2, fs: 'btrfs' }]);
  }
  assert.equal(readFileSync(join(dest, 'etc/hostname'), 'utf8'), 'base\n');
  assert.equal(readFileSync(join(dest, 'srv/data/reports/q1.txt'), 'utf8'), 'quarter one\n');
  assert.equal(readlinkSync(join(dest, 'srv/golden-test/link')), 'owned');
  assert.ok(existsSync(join(dest, 'opt/app/old/file')));
  assert.equal(sha(disk), before, 'the input is unchanged');
  const mounts = (await run('findmnt', ['-rn', '-o', 'TARGET'])).stdout;
  assert.doesNotMatch(mounts, new RegExp(dir), 'nothing stays mounted');
});
