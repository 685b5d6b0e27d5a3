// What makes the disc bootable on both firmwares, made without mounting anything:
// - BIOS: a GRUB core image in El Torito "no emulation" format (grub-mkimage -O i386-pc-eltorito) with
//   the i386-pc modules beside it on the disc, and GRUB's boot_hybrid.img as the MBR so the same file
//   boots from a USB stick.
// - UEFI: a FAT image (mkfs.vfat -C + mcopy; this host has no vfat driver and needs none) holding the
//   signed shim as EFI/BOOT/BOOTX64.EFI and the signed CD GRUB beside it. xorriso appends it as GPT
//   partition 2 and points the UEFI El Torito entry at it, so Secure Boot firmware sees only signed code.
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../errors.js';
import { run } from '../../exec/run.js';
import { espGrubConfig } from './grub-config.js';
import type { SignedBootFiles } from './vendor/types.js';

export const GRUB_PC_DIR = '/usr/lib/grub/i386-pc';
export const BOOT_HYBRID_IMG = join(GRUB_PC_DIR, 'boot_hybrid.img');
/** Where the BIOS El Torito image sits on the disc (xorriso's -b path). */
export const ELTORITO_PATH = 'boot/grub/i386-pc/eltorito.img';

// Built into the El Torito image so the menu appears without module loads from the (slow) CD.
const ELTORITO_MODULES = ['biosdisk', 'iso9660', 'part_msdos', 'part_gpt', 'search', 'search_fs_file', 'normal', 'configfile', 'linux', 'echo', 'test', 'serial', 'terminal', 'gzio', 'loopback'];

/** Host files the disc's boot loaders are made from, with the package that ships each. */
export function bootFileRequirements(signed: SignedBootFiles): [path: string, pkg: string][] {
  return [
    [BOOT_HYBRID_IMG, 'grub-pc-bin'],
    [join(GRUB_PC_DIR, 'normal.mod'), 'grub-pc-bin'],
    [signed.shim, 'shim-signed'],
    [signed.mokManager, 'shim-signed'],
    [signed.grub, 'grub-efi-amd64-signed'],
  ];
}

export function checkBootFiles(signed: SignedBootFiles): void {
  const missing = bootFileRequirements(signed).filter(([p]) => !existsSync(p));
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map(([, pkg]) => pkg))];
    throw new UserError(`the ISO's boot loaders cannot be made: ${missing.map(([p]) => p).join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing`, {
      hint: `install them with: apt-get install -y ${pkgs.join(' ')}`,
    });
  }
}

/** BIOS: eltorito.img and the i386-pc modules into isoRoot/boot/grub/i386-pc. */
export async function writeBiosBoot(isoRoot: string): Promise<void> {
  const dir = join(isoRoot, 'boot', 'grub', 'i386-pc');
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(GRUB_PC_DIR)) {
    if (f.endsWith('.mod') || f.endsWith('.lst')) copyFileSync(join(GRUB_PC_DIR, f), join(dir, f));
  }
  await run('grub-mkimage', ['-O', 'i386-pc-eltorito', '-p', '/boot/grub', '-o', join(isoRoot, ELTORITO_PATH), ...ELTORITO_MODULES], {
    purpose: 'making the BIOS El Torito boot image',
  });
}

/** UEFI: the ESP image at `espPath`; the same EFI/BOOT tree is also put on the disc for USB sticks. */
export async function writeEfiBoot(isoRoot: string, espPath: string, signed: SignedBootFiles): Promise<void> {
  const efiBoot = join(isoRoot, 'EFI', 'BOOT');
  mkdirSync(efiBoot, { recursive: true });
  // shim loads grubx64.efi from its own directory; the signed CD GRUB then searches for /.disk/info
  copyFileSync(signed.shim, join(efiBoot, 'BOOTX64.EFI'));
  copyFileSync(signed.grub, join(efiBoot, 'grubx64.efi'));
  copyFileSync(signed.mokManager, join(efiBoot, 'mmx64.efi'));
  writeFileSync(join(efiBoot, 'grub.cfg'), espGrubConfig());
  const bytes = readdirSync(efiBoot).reduce((n, f) => n + statSync(join(efiBoot, f)).size, 0);
  // FAT overhead + slack, rounded to whole MiB; mkfs.vfat -C takes KiB
  const kib = Math.ceil((bytes * 1.1 + 1024 * 1024) / (1024 * 1024)) * 1024;
  if (existsSync(espPath)) throw new UserError(`${espPath} already exists`);
  await run('mkfs.vfat', ['-C', '-n', 'ESP', '-i', '474f4c44', espPath, String(kib)], { purpose: 'making the ESP image' });
  await run('mmd', ['-i', espPath, '::/EFI', '::/EFI/BOOT'], { purpose: 'making the ESP image' });
  await run('mcopy', ['-i', espPath, '-o', ...readdirSync(efiBoot).sort().map((f) => join(efiBoot, f)), '::/EFI/BOOT/'], {
    purpose: 'filling the ESP image',
    env: { MTOOLS_SKIP_CHECK: '1' },
  });
}

/** Copy a directory tree (the disc's additional files) without following the host's symlinks out. */
export function copyTree(from: string, to: string): void {
  cpSync(from, to, { recursive: true, dereference: false, verbatimSymlinks: true });
}
