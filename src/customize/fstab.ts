// fstab(5) of an image, and which partition of the image each entry names. Used to find the separate
// /boot and ESP of a disk image, so the extracted tree is whole.
import type { FsSignature, Partition } from './partitions.js';

export interface FstabEntry {
  spec: string;
  mountpoint: string;
  type: string;
  options: string;
}

/** fstab escapes blanks in fields as octal (\040). */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));

export function parseFstab(text: string): FstabEntry[] {
  const out: FstabEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const f = line.split(/\s+/);
    if (f.length < 2) continue;
    out.push({ spec: unescape(f[0]!), mountpoint: unescape(f[1]!), type: f[2] ?? 'auto', options: f[3] ?? 'defaults' });
  }
  return out;
}

export interface ProbedPartition extends Partition {
  fs?: FsSignature;
}

/** The partition an fstab spec refers to: UUID=, LABEL=, PARTUUID=, PARTLABEL=, /dev/disk/by-*, or /dev/sdXN-style names. */
export function matchFstabSpec(spec: string, parts: readonly ProbedPartition[]): ProbedPartition | undefined {
  const eq = /^(UUID|LABEL|PARTUUID|PARTLABEL)=(.*)$/.exec(spec);
  const byDisk = /^\/dev\/disk\/by-(uuid|label|partuuid|partlabel)\/(.+)$/.exec(spec);
  const key = eq?.[1]?.toLowerCase() ?? byDisk?.[1];
  const value = (eq?.[2] ?? byDisk?.[2] ?? '').replace(/^"(.*)"$/, '$1');
  const same = (a: string | undefined, b: string) => a !== undefined && a !== '' && a.toLowerCase() === b.toLowerCase();
  switch (key) {
    case 'uuid':
      return parts.find((p) => same(p.fs?.uuid, value));
    case 'label':
      return parts.find((p) => same(p.fs?.label, value));
    case 'partuuid':
      return parts.find((p) => same(p.partuuid, value));
    case 'partlabel':
      return parts.find((p) => p.name === value);
  }
  // /dev/sda2, /dev/vda2, /dev/xvda2, /dev/nvme0n1p2, /dev/mmcblk0p2: the image is the first disk
  const dev = /^\/dev\/(?:[shv]d[a-z]|xvd[a-z]|nvme\d+n\d+p|mmcblk\d+p)(\d+)$/.exec(spec);
  if (dev) return parts.find((p) => p.number === Number(dev[1]));
  return undefined;
}

/** fstab entries for filesystems stored in the image (not swap, tmpfs, proc, network), shortest mount point first. */
export function imageMounts(entries: readonly FstabEntry[]): FstabEntry[] {
  return entries
    .filter((e) => e.mountpoint.startsWith('/') && e.mountpoint !== '/' && !['swap', 'tmpfs', 'proc', 'sysfs', 'devpts', 'nfs', 'nfs4', 'cifs', 'none'].includes(e.type))
    .sort((a, b) => a.mountpoint.split('/').length - b.mountpoint.split('/').length);
}
