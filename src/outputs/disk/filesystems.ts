// Filesystems made from directories, never by mounting an image: mkfs.ext4 -d, mkfs.btrfs --rootdir,
// mkfs.xfs with a generated protofile, mkfs.vfat -C + mcopy, mkswap on a file. ext4 is written
// straight into the disk image at its offset; the others are made as files and copied into place.
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InternalError, UserError } from '../../errors.js';
import { run } from '../../exec/run.js';
import type { MountNamespace } from '../../rootfs/namespace.js';
import { MiB, type FsKind, type PlannedPartition } from './layout.js';

export interface TreeUsage {
  /** Bytes of file data, each file rounded up to 4 KiB blocks (hard links counted once). */
  dataBytes: number;
  inodes: number;
}

/** What a directory holds, not descending into the directories in `exclude` (other filesystems' mount points). */
export function measureTree(dir: string, exclude: ReadonlySet<string> = new Set()): TreeUsage {
  const seen = new Set<string>();
  let dataBytes = 0;
  let inodes = 0;
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      const st = lstatSync(path, { bigint: false });
      inodes++;
      if (st.nlink > 1 && !st.isDirectory()) {
        const id = `${st.dev}:${st.ino}`;
        if (seen.has(id)) continue;
        seen.add(id);
      }
      dataBytes += Math.ceil(st.size / 4096) * 4096;
      if (st.isDirectory() && !exclude.has(path)) walk(path);
    }
  };
  walk(dir);
  return { dataBytes, inodes };
}

/** Bytes a filesystem of this kind needs to hold `usage` (before the user's headroom). */
export function filesystemNeed(kind: FsKind, usage: TreeUsage): number {
  switch (kind) {
    case 'ext4':
      // inode tables at 256 bytes per inode with room to spare, the journal, reserved blocks and metadata
      return Math.ceil(usage.dataBytes * 1.08 + usage.inodes * 256 * 2 + 48 * MiB);
    case 'xfs':
      // mkfs.xfs refuses filesystems below 300 MiB
      return Math.max(300 * MiB, Math.ceil(usage.dataBytes * 1.1 + usage.inodes * 512 + 64 * MiB));
    case 'btrfs':
      return Math.max(128 * MiB, Math.ceil(usage.dataBytes * 1.2 + usage.inodes * 1024 + 64 * MiB));
    case 'vfat':
      return Math.max(64 * MiB, Math.ceil(usage.dataBytes * 1.05 + 2 * MiB));
    case 'swap':
    case 'none':
      return 0;
  }
}

export interface MakeFsOptions {
  part: PlannedPartition;
  /** The directory the filesystem is filled from (a path inside `ns` for ext4/btrfs), or undefined for empty. */
  source: string | undefined;
  /** Host-visible path of the same directory (for walking it from Golden). */
  hostSource: string | undefined;
  /** The disk image; ext4 is written into it at the partition offset. */
  image: string;
  /** Scratch directory for filesystems made as separate files. */
  workDir: string;
  ns: MountNamespace;
  sourceDateEpoch: number;
}

/**
 * Make one partition's filesystem. Returns the path of a separate filesystem image that still has to be
 * copied into the disk at the partition offset, or undefined when it was written in place.
 */
export async function makeFilesystem(o: MakeFsOptions): Promise<string | undefined> {
  const { part } = o;
  const env = { E2FSPROGS_FAKE_TIME: String(o.sourceDateEpoch), SOURCE_DATE_EPOCH: String(o.sourceDateEpoch) };
  const file = join(o.workDir, `part${part.number}.img`);
  switch (part.fs) {
    case 'none':
      return undefined;
    case 'ext4': {
      const args = ['-F', '-q', '-t', 'ext4', '-L', part.label.slice(0, 16), '-U', part.fsUuid, '-T', 'default', '-b', '4096', '-m', '1'];
      // orphan_file and metadata_csum_seed are unknown to older e2fsck/GRUB (Ubuntu jammy, Debian
      // bullseye): leave them out so the image's own tools can check and boot it
      args.push('-O', '^orphan_file,^metadata_csum_seed');
      args.push('-E', `offset=${part.offset},root_owner=0:0,hash_seed=${part.fsUuid},nodiscard,lazy_itable_init=1`);
      if (o.source) args.push('-d', o.source);
      args.push(o.image, `${part.size / 1024}k`);
      await o.ns.run('mkfs.ext4', args, { env, purpose: `make the ext4 filesystem "${part.label}"` });
      return undefined;
    }
    case 'btrfs': {
      createSparse(file, part.size);
      const args = ['-q', '-f', '-L', part.label, '-U', part.fsUuid];
      if (o.source) args.push('--rootdir', o.source);
      await o.ns.run('mkfs.btrfs', [...args, file], { env, purpose: `make the btrfs filesystem "${part.label}"` });
      return file;
    }
    case 'xfs': {
      createSparse(file, part.size);
      const args = ['-q', '-f', '-L', part.label.slice(0, 12), '-m', `uuid=${part.fsUuid}`];
      if (o.hostSource) {
        const proto = join(o.workDir, `part${part.number}.proto`);
        writeFileSync(proto, xfsProtofile(o.hostSource));
        args.push('-p', proto);
      }
      await o.ns.run('mkfs.xfs', [...args, file], { env, purpose: `make the xfs filesystem "${part.label}"` });
      return file;
    }
    case 'vfat': {
      const kib = part.size / 1024;
      // FAT32 is what the UEFI specification asks of an ESP; it needs about 33 MiB at least
      const fat = part.size >= 64 * MiB ? ['-F', '32'] : [];
      await run('mkfs.vfat', ['-C', ...fat, '-n', part.label.toUpperCase().slice(0, 11), '-i', part.fsUuid, file, String(kib)], { env, purpose: `make the vfat filesystem "${part.label}"` });
      if (o.hostSource && readdirSync(o.hostSource).length > 0) {
        const entries = readdirSync(o.hostSource).map((n) => join(o.hostSource!, n));
        await run('mcopy', ['-s', '-p', '-m', '-i', file, ...entries, '::/'], { env: { MTOOLS_SKIP_CHECK: '1' }, purpose: `copy files into the vfat filesystem "${part.label}"` });
      }
      return file;
    }
    case 'swap':
      createSparse(file, part.size);
      await run('mkswap', ['-L', part.label, '-U', part.fsUuid, file], { purpose: `make the swap area "${part.label}"` });
      return file;
  }
}

function createSparse(file: string, size: number): void {
  closeSync(openSync(file, 'w'));
  truncateSync(file, size);
}

/** Copy a filesystem image into the disk at `offset`, keeping holes (the disk stays sparse). */
export async function placeAt(image: string, fsImage: string, offset: number): Promise<void> {
  if (offset % MiB) throw new InternalError(`partition offset ${offset} is not MiB-aligned`);
  await run('dd', [`if=${fsImage}`, `of=${image}`, 'bs=1M', `seek=${offset / MiB}`, 'conv=notrunc,sparse', 'status=none'], { purpose: 'copy a filesystem into the disk image' });
}

/**
 * An xfs protofile (xfs_mkfs(8) "-p") describing `dir`. Its limits are xfsprogs': no extended
 * attributes, no sticky bit, hard links become copies, names must not contain white space.
 */
export function xfsProtofile(dir: string): string {
  const out: string[] = ['/dev/null', '0 0'];
  const perm = (mode: number) => `${mode & 0o4000 ? 'u' : '-'}${mode & 0o2000 ? 'g' : '-'}${(mode & 0o777).toString(8).padStart(3, '0')}`;
  const rootSt = lstatSync(dir);
  out.push(`d${perm(rootSt.mode)} ${rootSt.uid} ${rootSt.gid}`);
  const walk = (d: string, depth: number) => {
    for (const name of readdirSync(d).sort()) {
      if (/\s/.test(name)) throw new UserError(`${join(d, name)}: xfs filesystems made from a directory cannot hold names with white space`, { hint: 'use ext4 or btrfs for this partition' });
      const path = join(d, name);
      const st = lstatSync(path);
      const pad = ' '.repeat(depth);
      const owner = `${st.uid} ${st.gid}`;
      if (st.isDirectory()) {
        out.push(`${pad}${name} d${perm(st.mode)} ${owner}`);
        walk(path, depth + 1);
        out.push(`${pad}$`);
      } else if (st.isFile()) out.push(`${pad}${name} -${perm(st.mode)} ${owner} ${path}`);
      else if (st.isSymbolicLink()) out.push(`${pad}${name} l${perm(st.mode)} ${owner} ${readlinkOf(path)}`);
      else if (st.isCharacterDevice() || st.isBlockDevice()) {
        const major = Math.floor(st.rdev / 256) & 0xfff;
        const minor = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00);
        out.push(`${pad}${name} ${st.isCharacterDevice() ? 'c' : 'b'}${perm(st.mode)} ${owner} ${major} ${minor}`);
      } else if (st.isFIFO()) out.push(`${pad}${name} p${perm(st.mode)} ${owner}`);
    }
  };
  walk(dir, 1);
  out.push('$');
  return `${out.join('\n')}\n`;
}

function readlinkOf(path: string): string {
  const target = readlinkSync(path);
  if (/\s/.test(target)) throw new UserError(`${path}: xfs protofiles cannot hold a symbolic link target with white space`);
  return target;
}
