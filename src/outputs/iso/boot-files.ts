// What makes the disc bootable on both firmwares, made without mounting anything:
// - BIOS: a GRUB core image in El Torito "no emulation" format (grub-mkimage -O i386-pc-eltorito) with
//   the i386-pc modules beside it on the disc, and GRUB's boot_hybrid.img as the MBR so the same file
//   boots from a USB stick.
// - UEFI: a FAT image (mkfs.vfat -C + mcopy; this host has no vfat driver and needs none) holding the
//   signed shim as EFI/BOOT/BOOTX64.EFI and the signed CD GRUB beside it. xorriso appends it as GPT
//   partition 2 and points the UEFI El Torito entry at it, so Secure Boot firmware sees only signed code.
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

/** What the boot files are made from: host files (by size and date) and Golden's own choices. */
export function bootFilesKey(signed: SignedBootFiles): string {
  const host = [...readdirSync(GRUB_PC_DIR).sort().map((f) => join(GRUB_PC_DIR, f)), signed.shim, signed.grub, signed.mokManager].map((p) => {
    const st = statSync(p);
    return [p, st.size, st.mtimeMs];
  });
  return createHash('sha256').update(JSON.stringify([1, ELTORITO_MODULES, espGrubConfig(), host])).digest('hex').slice(0, 32);
}

function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    const a = join(from, name);
    const b = join(to, name);
    if (lstatSync(a).isDirectory()) linkTree(a, b);
    else linkFile(a, b);
  }
}

function linkFile(from: string, to: string): void {
  rmSync(to, { force: true });
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

/**
 * BIOS and UEFI boot files into isoRoot and the ESP image at espPath. With `cacheDir` they are made
 * once per host boot-loader set (grub-mkimage, mkfs.vfat, mcopy: about a second) and hard-linked from
 * there afterwards; xorriso only reads them. Returns whether they came from the cache.
 */
export async function writeBootFiles(isoRoot: string, espPath: string, signed: SignedBootFiles, cacheDir?: string): Promise<boolean> {
  if (!cacheDir) {
    await writeBiosBoot(isoRoot);
    await writeEfiBoot(isoRoot, espPath, signed);
    return false;
  }
  const dir = join(cacheDir, bootFilesKey(signed));
  const cached = existsSync(join(dir, 'complete'));
  if (!cached) {
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    try {
      await writeBiosBoot(join(tmp, 'root'));
      await writeEfiBoot(join(tmp, 'root'), join(tmp, 'esp.img'), signed);
      writeFileSync(join(tmp, 'complete'), '');
      rmSync(dir, { recursive: true, force: true });
      try {
        renameSync(tmp, dir);
      } catch (e) {
        // another build put the same files there first
        if (!existsSync(join(dir, 'complete'))) throw e;
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  linkTree(join(dir, 'root'), isoRoot);
  // eltorito.img is a copy: the disc's boot-info table is patched into the written image, and a copy
  // makes sure no tool ever patches the cached original
  rmSync(join(isoRoot, ELTORITO_PATH), { force: true });
  copyFileSync(join(dir, 'root', ELTORITO_PATH), join(isoRoot, ELTORITO_PATH));
  linkFile(join(dir, 'esp.img'), espPath);
  return cached;
}

/** Copy a directory tree (the disc's additional files) without following the host's symlinks out. */
export function copyTree(from: string, to: string): void {
  cpSync(from, to, { recursive: true, dereference: false, verbatimSymlinks: true });
}
