// The xorriso command that turns the disc tree into a hybrid image: ISO 9660 level 3 (files over
// 4 GiB) with Rock Ridge and Joliet, a BIOS El Torito entry (GRUB eltorito.img), a UEFI El Torito entry
// pointing at the ESP appended as GPT partition 2, and GRUB's hybrid MBR so `dd` to a USB stick boots.
import { BOOT_HYBRID_IMG, ELTORITO_PATH } from './boot-files.js';

export interface XorrisoOptions {
  isoRoot: string;
  espImage: string;
  volumeId: string;
  output: string;
  /** Seconds since 1970: the volume dates and file times, for byte-identical rebuilds. */
  sourceDateEpoch: number;
  mbrImage?: string;
}

function isoDate(epoch: number): string {
  // YYYYMMDDhhmmsscc, what -volume_date and --modification-date take
  return `${new Date(epoch * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14)}00`;
}

export function xorrisoArgs(o: XorrisoOptions): string[] {
  const date = isoDate(o.sourceDateEpoch);
  return [
    '-as', 'mkisofs',
    '-r', '-iso-level', '3', '-J', '-joliet-long', '-l',
    '-V', o.volumeId,
    '--modification-date=' + date,
    '-b', ELTORITO_PATH, '-no-emul-boot', '-boot-load-size', '4', '-boot-info-table', '--grub2-boot-info',
    '--grub2-mbr', o.mbrImage ?? BOOT_HYBRID_IMG,
    '-append_partition', '2', '0xef', o.espImage, '-appended_part_as_gpt',
    '--mbr-force-bootable',
    '-eltorito-alt-boot', '-e', '--interval:appended_partition_2:all::', '-no-emul-boot',
    '-partition_offset', '16',
    '-c', 'boot.catalog',
    '-o', o.output,
    o.isoRoot,
  ];
}

export function xorrisoEnv(o: XorrisoOptions): Record<string, string> {
  // xorriso takes SOURCE_DATE_EPOCH for the remaining timestamps and a fixed volume UUID
  return { SOURCE_DATE_EPOCH: String(o.sourceDateEpoch) };
}
