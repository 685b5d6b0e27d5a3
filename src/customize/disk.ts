// A disk image (qcow2, raw, vmdk, vhd, vhdx) taken apart without attaching it: converted to a sparse raw
// file when needed, its partition table read from the bytes, the root filesystem found (the partition
// that holds /etc/fstab), then the partitions its fstab mounts (/boot, /boot/efi, …) copied in place.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { capture, run } from '../exec/run.js';
import { log } from '../log/logger.js';
import { imageMounts, matchFstabSpec, parseFstab, type ProbedPartition } from './fstab.js';
import { extractFilesystem, readFilesystemFile, type FsLocation } from './filesystems.js';
import { parsePartitionTable, probeFilesystem, type ReadAt } from './partitions.js';

export interface RawDisk {
  /** qemu-img's name of the input format (raw, qcow2, vmdk, vpc, vhdx). */
  format: string;
  /** A raw view of the disk: the input itself when it is raw, else a sparse conversion in scratch. */
  raw: string;
  table: 'gpt' | 'mbr' | 'none';
  partitions: ProbedPartition[];
}

export async function diskFormat(image: string): Promise<string> {
  const info = JSON.parse(await capture('qemu-img', ['info', '--output=json', image], { purpose: 'identify the disk image format' })) as { format: string };
  return info.format;
}

export function fileReader(path: string): { read: ReadAt; close: () => void } {
  const fd = openSync(path, 'r');
  return {
    read: (offset, length) => {
      const buf = Buffer.alloc(length);
      const n = readSync(fd, buf, 0, length, offset);
      return buf.subarray(0, n);
    },
    close: () => closeSync(fd),
  };
}

/** Open a disk image read-only as raw bytes and list its partitions with their filesystems. */
export async function openDisk(image: string, scratch: string): Promise<RawDisk> {
  const format = await diskFormat(image);
  let raw = image;
  if (format !== 'raw') {
    raw = join(scratch, 'disk.raw');
    if (!existsSync(raw)) {
      // -U: the input may be in use by a VM; we only read it. qemu-img writes raw output sparse.
      await run('qemu-img', ['convert', '-U', '-f', format, '-O', 'raw', image, `${raw}.part`], { purpose: `convert the ${format} image to raw for reading` });
      renameSync(`${raw}.part`, raw);
    }
  }
  const { read, close } = fileReader(raw);
  try {
    const table = parsePartitionTable(read);
    const parts: ProbedPartition[] = table
      ? table.partitions.map((p) => {
          const fs = probeFilesystem(read, p.offset);
          return fs ? { ...p, fs } : p;
        })
      : [];
    if (!table) {
      const fs = probeFilesystem(read, 0);
      if (fs) parts.push({ number: 0, offset: 0, size: Number(read.length), type: '', partuuid: '', name: '', role: 'root', fs });
    }
    return { format, raw, table: table?.kind ?? 'none', partitions: parts };
  } finally {
    close();
  }
}

export function location(disk: RawDisk, p: ProbedPartition): FsLocation {
  return { image: disk.raw, offset: p.offset, size: p.size, type: p.fs!.type };
}

const ROLE_ORDER = ['root', 'linux', 'other', 'home', 'xbootldr'];

/** The partition holding the root filesystem: the one with /etc/fstab, preferring the root partition type. */
export async function findRoot(disk: RawDisk, scratch: string): Promise<{ part: ProbedPartition; fstab: string }> {
  const candidates = disk.partitions
    .filter((p) => p.fs && ['ext4', 'xfs', 'btrfs'].includes(p.fs.type))
    .sort((a, b) => ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role) || b.size - a.size);
  for (const part of candidates) {
    const fstab = await readFilesystemFile(location(disk, part), '/etc/fstab', scratch);
    if (fstab !== undefined) return { part, fstab: fstab.toString('utf8') };
  }
  const seen = disk.partitions.map((p) => `${p.number}:${p.fs?.type ?? 'unknown'}`).join(', ') || 'none';
  throw new UserError(`no root filesystem (a partition holding /etc/fstab) found in the disk image (partitions: ${seen})`, {
    hint: 'Golden reads ext4, xfs and btrfs root filesystems on a GPT or MBR disk, or a bare filesystem image',
  });
}

export interface DiskExtractDetails {
  format: string;
  table: RawDisk['table'];
  root: { partition: number; fs: string; uuid: string };
  mounts: { mountpoint: string; partition: number; fs: string }[];
  partitions: { number: number; role: string; fs?: string; uuid?: string; label?: string; size: number }[];
}

export async function extractDisk(image: string, dest: string, scratch: string): Promise<DiskExtractDetails> {
  const disk = await openDisk(image, scratch);
  const { part: rootPart, fstab } = await findRoot(disk, scratch);
  log.verbose(`root filesystem: partition ${rootPart.number} (${rootPart.fs!.type})`);
  await extractFilesystem(location(disk, rootPart), dest, scratch);
  // A btrfs root laid out Ubuntu-style keeps the tree in the "@" subvolume: that is the image root.
  if (rootPart.fs!.type === 'btrfs' && !existsSync(join(dest, 'etc')) && existsSync(join(dest, '@', 'etc'))) {
    const sub = join(dest, '.golden-subvolume');
    renameSync(join(dest, '@'), sub);
    for (const name of readdirSync(sub)) renameSync(join(sub, name), join(dest, name));
    rmdirSync(sub);
  }
  const mounts: DiskExtractDetails['mounts'] = [];
  for (const entry of imageMounts(parseFstab(fstab))) {
    const part = matchFstabSpec(entry.spec, disk.partitions);
    if (!part?.fs || part === rootPart) {
      if (!part) log.warn(`fstab entry ${entry.spec} ${entry.mountpoint} names no partition of this disk; its files are not included`);
      continue;
    }
    const target = join(dest, entry.mountpoint);
    mkdirSync(target, { recursive: true });
    await extractFilesystem(location(disk, part), target, scratch);
    mounts.push({ mountpoint: entry.mountpoint, partition: part.number, fs: part.fs.type });
  }
  return {
    format: disk.format,
    table: disk.table,
    root: { partition: rootPart.number, fs: rootPart.fs!.type, uuid: rootPart.fs!.uuid },
    mounts,
    partitions: disk.partitions.map((p) => ({ number: p.number, role: p.role, size: p.size, ...(p.fs ? { fs: p.fs.type, uuid: p.fs.uuid, label: p.fs.label } : {}) })),
  };
}
