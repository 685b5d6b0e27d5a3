// Copying one filesystem that sits at a byte offset of a raw disk image into a directory, per type.
// ext4: debugfs (ext4.ts); vfat: mtools, which take `FILE@@OFFSET`; btrfs: `btrfs restore` on a sparse
// copy of the partition. None of them mounts anything.
//
// xfs is the exception: no userspace tool can copy files out of xfs (xfs_db reads metadata only and
// xfs_restore needs an xfsdump stream made from a mounted filesystem), so `extractXfs` mounts it
// read-only through a loop device with offset/sizelimit. The mount lives only inside a private
// MountNamespace (rootfs/namespace.ts): it disappears with the namespace, the loop device is set to
// autoclear and is released with it, and nothing is visible on the host even if Golden is killed.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { run } from '../exec/run.js';
import { MountNamespace } from '../rootfs/namespace.js';
import { ext4Device, ext4ReadFile, extractExt4 } from './ext4.js';
import type { FsType } from './partitions.js';

export interface FsLocation {
  /** The raw image file. */
  image: string;
  offset: number;
  size: number;
  type: FsType;
}

const MTOOLS_ENV = { MTOOLS_SKIP_CHECK: '1', MTOOLS_NO_VFAT: '0' };

/** Copy the partition into its own sparse file (tools that cannot take an offset need one). */
async function partitionFile(fs: FsLocation, scratch: string): Promise<string> {
  const out = join(scratch, `part-${fs.offset}.img`);
  if (!existsSync(out)) {
    await run('dd', [`if=${fs.image}`, `of=${out}`, 'bs=4M', 'iflag=skip_bytes,count_bytes', `skip=${fs.offset}`, `count=${fs.size}`, 'conv=sparse', 'status=none'], {
      purpose: 'copy a partition out of the disk image',
    });
  }
  return out;
}

/** Copy every file of the filesystem into `dest` (created if missing), keeping owners, modes, links, xattrs where the type has them. */
export async function extractFilesystem(fs: FsLocation, dest: string, scratch: string): Promise<void> {
  mkdirSync(dest, { recursive: true });
  switch (fs.type) {
    case 'ext4':
      await extractExt4(ext4Device(fs.image, fs.offset), dest, scratch);
      return;
    case 'vfat':
      await run('mcopy', ['-s', '-p', '-m', '-n', '-Q', '-i', `${fs.image}@@${fs.offset}`, '::/*', `${dest}/`], { env: MTOOLS_ENV, allowFailure: true }).then((r) => {
        // an empty FAT filesystem makes mcopy complain that ::/* matches nothing
        if (r.exitCode !== 0 && !/No match|not found/i.test(r.stderr)) throw new UserError(`cannot copy the FAT filesystem at offset ${fs.offset}: ${r.stderr.trim()}`);
      });
      return;
    case 'btrfs': {
      const part = await partitionFile(fs, scratch);
      await run('btrfs', ['restore', '-x', '-m', '-S', '-i', part, dest], { purpose: 'copy the btrfs filesystem out of the image' });
      rmSync(part, { force: true });
      return;
    }
    case 'xfs':
      await extractXfs(fs, dest, scratch);
      return;
    default:
      throw new UserError(`cannot extract a ${fs.type} filesystem`, { hint: 'Golden reads ext4, xfs, btrfs and vfat partitions' });
  }
}

async function extractXfs(fs: FsLocation, dest: string, scratch: string): Promise<void> {
  const mnt = mkdtempSync(join(scratch, 'xfs-'));
  const ns = await MountNamespace.open({ label: 'xfs read-only mount' });
  try {
    await ns.run('mount', ['-t', 'xfs', '-o', `ro,norecovery,loop,offset=${fs.offset},sizelimit=${fs.size}`, fs.image, mnt], {
      purpose: 'mount the xfs filesystem read-only (xfs has no userspace file extractor)',
    });
    await ns.run('cp', ['-a', '--', `${mnt}/.`, `${dest}/`], { purpose: 'copy the xfs filesystem' });
  } finally {
    await ns.close();
    rmSync(mnt, { recursive: true, force: true });
  }
}

/** One file of the filesystem, or undefined when absent. */
export async function readFilesystemFile(fs: FsLocation, path: string, scratch: string): Promise<Buffer | undefined> {
  switch (fs.type) {
    case 'ext4':
      return ext4ReadFile(ext4Device(fs.image, fs.offset), path);
    case 'vfat': {
      const r = await run('mtype', ['-i', `${fs.image}@@${fs.offset}`, `::${path}`], { env: MTOOLS_ENV, binary: true, allowFailure: true });
      return r.exitCode === 0 ? r.stdoutBuffer : undefined;
    }
    case 'btrfs':
    case 'xfs': {
      // No cheap single-file reader: copy the filesystem out once and read from the copy.
      const dir = join(scratch, `tree-${fs.offset}`);
      if (!existsSync(dir)) await extractFilesystem(fs, dir, scratch);
      for (const base of [dir, join(dir, '@')]) {
        const p = join(base, path);
        if (existsSync(p)) return readFileSync(p);
      }
      return undefined;
    }
    default:
      return undefined;
  }
}
