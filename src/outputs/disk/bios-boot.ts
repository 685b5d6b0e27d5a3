// GRUB's BIOS stage written straight into the image file, because grub-install and grub-bios-setup
// refuse image files (they want a block device). What grub-bios-setup would do, done by hand:
// boot.img goes into sector 0 around the partition table, core.img into the BIOS boot partition (GPT)
// or the gap after the MBR, and the two are tied together by sector numbers. See BOOT-FACTS.md.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { InternalError } from '../../errors.js';
import { SECTOR } from './layout.js';

/** boot.img offsets (grub-core/boot/i386/pc/boot.S, include/grub/i386/pc/boot.h). */
const BPB_START = 0x03;
const BPB_END = 0x5a;
const KERNEL_SECTOR = 0x5c;
const BOOT_DRIVE = 0x64;
const DRIVE_CHECK = 0x66;
const WINDOWS_NT_MAGIC = 0x1b8;
/** diskboot.img (core.img's first sector) keeps its blocklist at the end of the sector. */
const BLOCKLIST = SECTOR - 12;
/** Segment core.img is loaded to (GRUB_BOOT_I386_PC_KERNEL_SEG + 0x20). */
const CORE_SEGMENT = 0x820;

/**
 * The sector-0 bytes: GRUB's boot.img with the disk's own BPB area and partition table kept, pointing
 * at core.img's first sector.
 */
export function patchBootSector(bootImg: Buffer, diskSector0: Buffer, coreStartSector: number): Buffer {
  if (bootImg.length !== SECTOR) throw new InternalError(`boot.img is ${bootImg.length} bytes, expected ${SECTOR}`);
  const out = Buffer.from(bootImg);
  diskSector0.copy(out, BPB_START, BPB_START, BPB_END);
  diskSector0.copy(out, WINDOWS_NT_MAGIC, WINDOWS_NT_MAGIC, SECTOR);
  out.writeBigUInt64LE(BigInt(coreStartSector), KERNEL_SECTOR);
  // 0xff: use the drive number the BIOS passed in %dl instead of a fixed one
  out[BOOT_DRIVE] = 0xff;
  // two NOPs over the jump that would probe for a floppy: some BIOSes hang on that check
  out[DRIVE_CHECK] = 0x90;
  out[DRIVE_CHECK + 1] = 0x90;
  return out;
}

/** core.img with its first sector's blocklist saying "the rest of me follows contiguously". */
export function patchCoreImage(coreImg: Buffer, coreStartSector: number): Buffer {
  const sectors = Math.ceil(coreImg.length / SECTOR);
  if (sectors < 2) throw new InternalError('core.img is too small');
  const out = Buffer.alloc(sectors * SECTOR);
  coreImg.copy(out);
  out.writeBigUInt64LE(BigInt(coreStartSector + 1), BLOCKLIST);
  out.writeUInt16LE(sectors - 1, BLOCKLIST + 8);
  out.writeUInt16LE(CORE_SEGMENT, BLOCKLIST + 10);
  return out;
}

/** Write both stages into `image`; `coreStartSector` is where core.img goes, `maxSectors` the room there. */
export function writeBiosStage(image: string, bootImg: Buffer, coreImg: Buffer, coreStartSector: number, maxSectors: number): void {
  const core = patchCoreImage(coreImg, coreStartSector);
  if (core.length / SECTOR > maxSectors) {
    throw new InternalError(`GRUB's core.img (${core.length} bytes) does not fit in the ${maxSectors * SECTOR} bytes reserved for it`);
  }
  const fd = openSync(image, 'r+');
  try {
    const sector0 = Buffer.alloc(SECTOR);
    readSync(fd, sector0, 0, SECTOR, 0);
    writeSync(fd, patchBootSector(bootImg, sector0, coreStartSector), 0, SECTOR, 0);
    writeSync(fd, core, 0, core.length, coreStartSector * SECTOR);
  } finally {
    closeSync(fd);
  }
}
