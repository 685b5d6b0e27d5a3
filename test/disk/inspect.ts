// Looking into disk images the way the tests need, without loop devices: the partition table with
// sfdisk --json, a partition copied out by byte offset, fsck of each filesystem kind.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export interface SfdiskPartition {
  node: string;
  start: number;
  size: number;
  type: string;
  uuid?: string;
  name?: string;
  bootable?: boolean;
}

export interface SfdiskTable {
  label: 'gpt' | 'dos';
  id: string;
  partitions: SfdiskPartition[];
}

export function partitionTable(image: string): SfdiskTable {
  return (JSON.parse(execFileSync('sfdisk', ['--json', image], { encoding: 'utf8' })) as { partitiontable: SfdiskTable }).partitiontable;
}

/** Copy one partition out of a raw image (sparse) so tools that want a whole file can check it. */
export function extractPartition(image: string, p: SfdiskPartition, dir: string): string {
  const out = join(dir, `part-${p.start}.img`);
  execFileSync('dd', [`if=${image}`, `of=${out}`, 'bs=512', `skip=${p.start}`, `count=${p.size}`, 'conv=sparse', 'status=none']);
  return out;
}

/** Run the read-only checker of a filesystem kind; throws with its output when it finds a problem. */
export function fsckReadOnly(kind: string, image: string, p: SfdiskPartition, dir: string): string {
  switch (kind) {
    case 'ext4':
      // e2fsprogs opens "FILE?offset=N" directly, no copy needed
      return execFileSync('e2fsck', ['-fn', `${image}?offset=${p.start * 512}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    case 'vfat':
      return execFileSync('fsck.vfat', ['-n', extractPartition(image, p, dir)], { encoding: 'utf8' });
    case 'xfs':
      return execFileSync('xfs_repair', ['-n', '-f', extractPartition(image, p, dir)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    case 'btrfs':
      return execFileSync('btrfs', ['check', '--readonly', extractPartition(image, p, dir)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    case 'swap':
      return execFileSync('blkid', ['-p', '-o', 'export', extractPartition(image, p, dir)], { encoding: 'utf8' });
    default:
      throw new Error(`no checker for ${kind}`);
  }
}

/** A file from an ext4 partition of a raw image, read with debugfs (no mount). */
export function readExt4File(image: string, p: SfdiskPartition, path: string): string {
  return execFileSync('debugfs', ['-R', `cat ${path}`, `${image}?offset=${p.start * 512}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** qemu-img info --output=json */
export function qemuImgInfo(image: string, format?: string): { format: string; 'virtual-size': number; 'actual-size': number; 'format-specific'?: { data?: Record<string, unknown> } } {
  return JSON.parse(execFileSync('qemu-img', ['info', '--output=json', ...(format ? ['-f', format] : []), image], { encoding: 'utf8' }));
}
