// Partition tables and filesystem signatures read straight from the bytes of a raw disk image, so an
// image can be taken apart without losetup -P or device-mapper (neither works on every build host).
// GPT: UEFI 2.10 §5.3; MBR: the classic 4-entry table at byte 446 with an EBR chain for logical ones.

export const SECTOR = 512;

export interface Partition {
  /** 1-based, as Linux numbers them (sda1…; logical MBR partitions start at 5). */
  number: number;
  /** Byte offset in the image. */
  offset: number;
  /** Size in bytes. */
  size: number;
  /** GPT type GUID (upper case) or MBR type as two hex digits, e.g. "83". */
  type: string;
  /** GPT partition GUID (PARTUUID); for MBR "DISKSIG-NN" as Linux shows it. */
  partuuid: string;
  /** GPT partition name (PARTLABEL); empty for MBR. */
  name: string;
  role: 'esp' | 'bios-boot' | 'root' | 'linux' | 'swap' | 'xbootldr' | 'home' | 'extended' | 'other';
}

export interface PartitionTable {
  kind: 'gpt' | 'mbr';
  partitions: Partition[];
}

const GPT_ROLES: Record<string, Partition['role']> = {
  'C12A7328-F81F-11D2-BA4B-00A0C93EC93B': 'esp',
  '21686148-6449-6E6F-744E-656564454649': 'bios-boot',
  '0FC63DAF-8483-4772-8E79-3D69D8477DE4': 'linux',
  '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709': 'root', // x86-64 root (Discoverable Partitions Specification)
  'B921B045-1DF0-41C3-AF44-4C6F280D3FAE': 'root', // arm64 root
  '44479540-F297-41B2-9AF7-D131D5F0458A': 'root', // x86 root
  '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F': 'swap',
  'BC13C2FF-59E6-4262-A352-B275FD6F7172': 'xbootldr',
  '933AC7E1-2EB4-4F13-B844-0E14E2AEF915': 'home',
};

const MBR_ROLES: Record<string, Partition['role']> = {
  ef: 'esp',
  '83': 'linux',
  '82': 'swap',
  '05': 'extended',
  '0f': 'extended',
  '85': 'extended',
  ea: 'xbootldr',
};

/** A GUID stored in the mixed-endian layout of GPT (first three fields little endian). */
export function readGuid(buf: Buffer, at: number): string {
  const hex = (from: number, to: number, reverse: boolean) => {
    const bytes = [...buf.subarray(at + from, at + to)];
    if (reverse) bytes.reverse();
    return bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
  };
  return `${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}`.toUpperCase();
}

/** Reads `length` bytes at `offset` of the image (short at the end of the file). */
export type ReadAt = (offset: number, length: number) => Buffer;

export function parseGpt(read: ReadAt): PartitionTable | undefined {
  const header = read(SECTOR, SECTOR);
  if (header.subarray(0, 8).toString('latin1') !== 'EFI PART') return undefined;
  const entriesLba = Number(header.readBigUInt64LE(72));
  const count = header.readUInt32LE(80);
  const entrySize = header.readUInt32LE(84);
  if (entrySize < 128 || count > 1024) return undefined;
  const table = read(entriesLba * SECTOR, count * entrySize);
  const partitions: Partition[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * entrySize;
    if (at + 128 > table.length) break;
    const type = readGuid(table, at);
    if (type === '00000000-0000-0000-0000-000000000000') continue;
    const first = Number(table.readBigUInt64LE(at + 32));
    const last = Number(table.readBigUInt64LE(at + 40));
    const name = table.subarray(at + 56, at + 128).toString('utf16le').replace(/\0.*$/s, '');
    partitions.push({ number: i + 1, offset: first * SECTOR, size: (last - first + 1) * SECTOR, type, partuuid: readGuid(table, at + 16), name, role: GPT_ROLES[type] ?? 'other' });
  }
  return { kind: 'gpt', partitions };
}

export function parseMbr(read: ReadAt): PartitionTable | undefined {
  const mbr = read(0, SECTOR);
  if (mbr.length < SECTOR || mbr[510] !== 0x55 || mbr[511] !== 0xaa) return undefined;
  const signature = mbr.readUInt32LE(440).toString(16).padStart(8, '0');
  const partitions: Partition[] = [];
  const entry = (sector: Buffer, i: number) => {
    const at = 446 + i * 16;
    return { type: sector[at + 4]!.toString(16).padStart(2, '0'), start: sector.readUInt32LE(at + 8), sectors: sector.readUInt32LE(at + 12) };
  };
  const make = (number: number, type: string, startSector: number, sectors: number): Partition => ({
    number,
    offset: startSector * SECTOR,
    size: sectors * SECTOR,
    type,
    partuuid: `${signature}-${number.toString(16).padStart(2, '0')}`,
    name: '',
    role: MBR_ROLES[type] ?? 'other',
  });
  let extended: { start: number } | undefined;
  for (let i = 0; i < 4; i++) {
    const e = entry(mbr, i);
    if (e.type === '00' || e.sectors === 0) continue;
    if (e.type === 'ee') return undefined; // protective MBR: the disk is GPT
    const p = make(i + 1, e.type, e.start, e.sectors);
    partitions.push(p);
    if (p.role === 'extended') extended = { start: e.start };
  }
  if (extended) {
    // Logical partitions: each EBR holds one partition (relative to the EBR) and a link (relative to the extended partition).
    let ebr = extended.start;
    for (let n = 5; n < 128; n++) {
      const sector = read(ebr * SECTOR, SECTOR);
      if (sector.length < SECTOR || sector[510] !== 0x55 || sector[511] !== 0xaa) break;
      const e = entry(sector, 0);
      if (e.sectors > 0) partitions.push(make(n, e.type, ebr + e.start, e.sectors));
      const link = entry(sector, 1);
      if (link.sectors === 0) break;
      ebr = extended.start + link.start;
    }
  }
  return { kind: 'mbr', partitions };
}

export function parsePartitionTable(read: ReadAt): PartitionTable | undefined {
  return parseGpt(read) ?? parseMbr(read);
}

export type FsType = 'ext4' | 'xfs' | 'btrfs' | 'vfat' | 'swap' | 'squashfs';

export interface FsSignature {
  type: FsType;
  uuid: string;
  label: string;
}

const cstr = (b: Buffer) => b.toString('utf8').replace(/\0.*$/s, '').trim();
const uuidOf = (b: Buffer) => {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

/** Which filesystem starts at `offset`, with the UUID and label fstab may refer to it by. */
export function probeFilesystem(read: ReadAt, offset: number): FsSignature | undefined {
  const sb = read(offset, 0x10200);
  if (sb.length >= 1024 + 256 && sb.readUInt16LE(1024 + 56) === 0xef53) {
    return { type: 'ext4', uuid: uuidOf(sb.subarray(1024 + 104, 1024 + 120)), label: cstr(sb.subarray(1024 + 120, 1024 + 136)) };
  }
  if (sb.subarray(0, 4).toString('latin1') === 'XFSB') return { type: 'xfs', uuid: uuidOf(sb.subarray(32, 48)), label: cstr(sb.subarray(108, 120)) };
  if (sb.length >= 0x10200 && sb.subarray(0x10040, 0x10048).toString('latin1') === '_BHRfS_M') {
    return { type: 'btrfs', uuid: uuidOf(sb.subarray(0x10020, 0x10030)), label: cstr(sb.subarray(0x1012b, 0x1012b + 256)) };
  }
  if (sb.subarray(0, 4).toString('latin1') === 'hsqs') return { type: 'squashfs', uuid: '', label: '' };
  if (sb.length >= 4096 && sb.subarray(4086, 4096).toString('latin1') === 'SWAPSPACE2') return { type: 'swap', uuid: uuidOf(sb.subarray(1036, 1052)), label: cstr(sb.subarray(1052, 1068)) };
  if (sb[510] === 0x55 && sb[511] === 0xaa) {
    const fat32 = sb.subarray(82, 87).toString('latin1') === 'FAT32';
    const fat16 = sb.subarray(54, 57).toString('latin1') === 'FAT';
    if (fat32 || fat16) {
      const id = sb.readUInt32LE(fat32 ? 67 : 39).toString(16).padStart(8, '0').toUpperCase();
      const label = cstr(sb.subarray(fat32 ? 71 : 43, fat32 ? 82 : 54));
      return { type: 'vfat', uuid: `${id.slice(0, 4)}-${id.slice(4)}`, label: label === 'NO NAME' ? '' : label };
    }
  }
  return undefined;
}
