// Where each partition goes on the disk: resolves the storage section (sizes, percentages, headroom)
// against how much each filesystem needs, aligning everything to 1 MiB. Pure, so it is unit-tested.
import { createHash } from 'node:crypto';
import { InputError } from '../../errors.js';
import { parseSize, type PartitionConfig, type StorageConfig } from '../../config/schema.js';

export const MiB = 1024 * 1024;
export const SECTOR = 512;

export type FsKind = 'ext4' | 'xfs' | 'vfat' | 'btrfs' | 'swap' | 'none';

/** GPT type GUIDs (UEFI spec, Discoverable Partitions Specification for x86-64) and MBR type bytes. */
const TYPES: Record<PartitionConfig['type'], { gpt: string; mbr: number | undefined }> = {
  esp: { gpt: 'C12A7328-F81F-11D2-BA4B-00A0C93EC3B8', mbr: 0xef },
  'bios-boot': { gpt: '21686148-6449-6E6F-744E-656564454649', mbr: undefined },
  root: { gpt: '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709', mbr: 0x83 },
  swap: { gpt: '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F', mbr: 0x82 },
  home: { gpt: '933AC7E1-2EB4-4F13-B844-0E14E2AEF915', mbr: 0x83 },
  linux: { gpt: '0FC63DAF-8483-4772-8E79-3D69D8477DE4', mbr: 0x83 },
  boot: { gpt: 'BC13C2FF-59E6-4262-A352-B275FD6F7172', mbr: 0x83 },
};

export interface PlannedPartition {
  /** 1-based partition number. */
  number: number;
  label: string;
  type: PartitionConfig['type'];
  fs: FsKind;
  mountpoint: string | undefined;
  options: string;
  /** Byte offset and size, both multiples of 1 MiB. */
  offset: number;
  size: number;
  gptType: string;
  mbrType: number | undefined;
  /** GPT partition GUID (unique, derived from the build so rebuilds are identical). */
  partUuid: string;
  /** Filesystem UUID (vfat: an 8-hex-digit volume id). */
  fsUuid: string;
}

export interface DiskLayout {
  table: 'gpt' | 'mbr';
  /** Disk identifier: a GUID for GPT, 8 hex digits for MBR. */
  diskId: string;
  totalBytes: number;
  partitions: PlannedPartition[];
}

export function defaultFilesystem(p: PartitionConfig): FsKind {
  if (p.filesystem) return p.filesystem;
  if (p.type === 'esp') return 'vfat';
  if (p.type === 'swap') return 'swap';
  if (p.type === 'bios-boot') return 'none';
  return 'ext4';
}

export function defaultMountpoint(p: PartitionConfig): string | undefined {
  if (p.mountpoint) return p.mountpoint;
  switch (p.type) {
    case 'esp':
      return '/boot/efi';
    case 'root':
      return '/';
    case 'home':
      return '/home';
    case 'boot':
      return '/boot';
    default:
      return undefined;
  }
}

/** A stable UUID from a seed (RFC 4122 version 4 layout, random bits taken from sha256). */
export function derivedUuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest();
  h[6] = (h[6]! & 0x0f) | 0x40;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

const alignUp = (n: number, a = MiB) => Math.ceil(n / a) * a;

export interface LayoutInput {
  storage: StorageConfig;
  /** Bytes each partition's filesystem needs for its content (by label); 0 or missing for none. */
  needs: Record<string, number>;
  /** Seed for the derived identifiers (e.g. the image's top layer key). */
  seed: string;
  /** Where the storage section came from, for error messages. */
  configFile?: string;
}

function bad(input: LayoutInput, field: string, msg: string, hint?: string): never {
  throw new InputError({ file: input.configFile ?? 'golden.yaml', field }, msg, hint ? { hint } : {});
}

/** Bytes of headroom: "25%" of `content`, or a fixed size. */
function headroomBytes(spec: string, content: number): number {
  const pct = /^(\d{1,3})%$/.exec(spec.trim());
  if (pct) return Math.ceil((content * Number(pct[1])) / 100);
  return parseSize(spec) ?? 0;
}

export function planLayout(input: LayoutInput): DiskLayout {
  const { storage } = input;
  const parts = storage.partitions;
  // GPT needs 33 sectors at each end; 1 MiB at each end keeps every partition aligned and leaves the
  // gap after the MBR where GRUB's core.img goes on an MBR disk.
  const head = MiB;
  const tail = storage.table === 'gpt' ? MiB : 0;
  if (storage.table === 'mbr' && parts.length > 4) bad(input, 'storage.partitions', 'an MBR partition table holds at most 4 partitions here', 'use table: gpt');
  let fixed = 0;
  let pctTotal = 0;
  let remainderNeed = 0; // bytes the percentage partitions need in total, scaled to 100%
  const sizes: (number | undefined)[] = [];
  parts.forEach((p, i) => {
    const field = `storage.partitions[${i}].size`;
    const need = input.needs[p.label] ?? 0;
    const pct = /^(\d{1,3})%$/.exec(p.size.trim());
    if (pct) {
      const share = Number(pct[1]);
      if (share <= 0 || share > 100) bad(input, field, `"${p.size}" is not a percentage between 1 and 100`);
      pctTotal += share;
      sizes.push(undefined);
      const room = typeof storage.size === 'string' ? need : need + headroomBytes(storage.size.headroom, need);
      remainderNeed = Math.max(remainderNeed, Math.ceil((alignUp(room) * 100) / share));
    } else {
      const bytes = alignUp(parseSize(p.size) ?? 0);
      if (bytes <= 0) bad(input, field, `"${p.size}" is not a size`);
      if (need > bytes) bad(input, field, `partition "${p.label}" is ${p.size} but its content needs ${Math.ceil(need / MiB)} MiB`, 'give it a larger size or a percentage');
      sizes.push(bytes);
      fixed += bytes;
    }
  });
  if (pctTotal > 100) bad(input, 'storage.partitions', `the percentages add up to ${pctTotal}%, more than 100%`);
  let total: number;
  if (typeof storage.size === 'string') {
    total = alignUp(parseSize(storage.size) ?? 0);
    if (total < head + fixed + tail) bad(input, 'storage.size', `the disk size ${storage.size} is smaller than the fixed partitions (${Math.ceil((head + fixed + tail) / MiB)} MiB)`);
  } else {
    total = head + fixed + alignUp(remainderNeed) + tail;
    if (storage.size.minimum) total = Math.max(total, alignUp(parseSize(storage.size.minimum) ?? 0));
  }
  const remainder = total - head - fixed - tail;
  // Percentages are of what the fixed partitions leave; the last percentage partition takes the
  // rounding slack so that 100% really reaches the end of the disk.
  let lastPct = -1;
  parts.forEach((p, i) => {
    if (sizes[i] === undefined) lastPct = i;
  });
  let used = 0;
  parts.forEach((p, i) => {
    if (sizes[i] !== undefined) return;
    const share = Number(/^(\d{1,3})%$/.exec(p.size.trim())![1]);
    let bytes = Math.floor((remainder * share) / 100 / MiB) * MiB;
    if (i === lastPct && pctTotal === 100) bytes = remainder - used;
    used += bytes;
    sizes[i] = bytes;
    const need = input.needs[p.label] ?? 0;
    if (need > bytes) {
      bad(input, `storage.partitions[${i}].size`, `partition "${p.label}" gets ${Math.floor(bytes / MiB)} MiB but its content needs ${Math.ceil(need / MiB)} MiB`, 'make storage.size larger or use {headroom} sizing');
    }
  });
  let offset = head;
  const planned: PlannedPartition[] = parts.map((p, i) => {
    const fs = defaultFilesystem(p);
    const seed = `${input.seed}\0${i}\0${p.label}`;
    const fsUuid = fs === 'vfat' ? derivedUuid(`${seed}\0fs`).replace(/-/g, '').slice(0, 8).toUpperCase() : derivedUuid(`${seed}\0fs`);
    const planned: PlannedPartition = {
      number: i + 1,
      label: p.label,
      type: p.type,
      fs,
      mountpoint: fs === 'swap' || fs === 'none' ? undefined : defaultMountpoint(p),
      options: p.options,
      offset,
      size: sizes[i]!,
      gptType: TYPES[p.type].gpt,
      mbrType: TYPES[p.type].mbr,
      partUuid: derivedUuid(`${seed}\0part`),
      fsUuid,
    };
    offset += sizes[i]!;
    return planned;
  });
  const diskUuid = derivedUuid(`${input.seed}\0disk`);
  return {
    table: storage.table,
    diskId: storage.table === 'gpt' ? diskUuid : diskUuid.slice(0, 8),
    totalBytes: total,
    partitions: planned,
  };
}

/** Checks that do not depend on content: one root, a BIOS boot partition where BIOS needs one, an ESP for EFI. */
export function checkStorage(storage: StorageConfig, configFile = 'golden.yaml'): void {
  const where = (field: string) => ({ file: configFile, field });
  const parts = storage.partitions;
  const roots = parts.filter((p) => defaultMountpoint(p) === '/' && defaultFilesystem(p) !== 'swap');
  if (roots.length !== 1) throw new InputError(where('storage.partitions'), `the disk needs exactly one root partition (type root or mountpoint "/"), found ${roots.length}`);
  const labels = new Set<string>();
  parts.forEach((p, i) => {
    if (labels.has(p.label)) throw new InputError(where(`storage.partitions[${i}].label`), `the label "${p.label}" is used twice`);
    labels.add(p.label);
    const fs = defaultFilesystem(p);
    if (p.type === 'esp' && fs !== 'vfat') throw new InputError(where(`storage.partitions[${i}].filesystem`), 'an ESP must be vfat');
    if (p.type === 'bios-boot' && fs !== 'none') throw new InputError(where(`storage.partitions[${i}].filesystem`), 'a BIOS boot partition holds no filesystem');
    if (p.type === 'bios-boot' && storage.table === 'mbr') throw new InputError(where(`storage.partitions[${i}].type`), 'a BIOS boot partition is for GPT disks; on an MBR disk GRUB goes in the gap before the first partition', { hint: 'remove it, or use table: gpt' });
  });
  const wantsBios = storage.bootType !== 'efi';
  const wantsEfi = storage.bootType !== 'bios';
  if (wantsBios && storage.table === 'gpt' && !parts.some((p) => p.type === 'bios-boot')) {
    throw new InputError(where('storage.partitions'), `bootType ${storage.bootType} on a GPT disk needs a partition of type bios-boot (1M is enough)`, { hint: 'add { label: BIOS, size: 1M, type: bios-boot }, or use bootType: efi' });
  }
  if (wantsEfi && !parts.some((p) => p.type === 'esp')) {
    throw new InputError(where('storage.partitions'), `bootType ${storage.bootType} needs a partition of type esp`, { hint: 'add { label: ESP, size: 127M, type: esp }, or use bootType: bios' });
  }
}
