// GRUB for both firmwares, installed without grub-install: the i386-pc modules and a core.img for
// BIOS, shim + Debian's signed GRUB on the ESP for UEFI and Secure Boot, and one grub.cfg in the root
// filesystem that both read. Binaries come from the image itself when it has them (so modules and
// core.img are the same GRUB build as the image's grub-pc-bin), else from the build host.
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../errors.js';
import { run } from '../../exec/run.js';
import type { DiskLayout, PlannedPartition } from './layout.js';

/** Where the signed binaries live in Debian's and Ubuntu's packages (shim-signed, grub-efi-amd64-signed). */
const SHIM = ['usr/lib/shim/shimx64.efi.signed', 'usr/lib/shim/shimx64.efi.signed.latest', 'usr/lib/shim/shimx64.efi'];
const MOK_MANAGER = ['usr/lib/shim/mmx64.efi.signed', 'usr/lib/shim/mmx64.efi'];
const SIGNED_GRUB = ['usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed'];
const I386_PC = 'usr/lib/grub/i386-pc';

function firstExisting(roots: readonly string[], candidates: readonly string[], what: string, pkg: string): string {
  for (const root of roots) for (const c of candidates) if (existsSync(join(root, c))) return join(root, c);
  throw new UserError(`${what} was found neither in the image nor on the build host`, { hint: `add ${pkg} to packages.install, or install it on the host` });
}

export interface BootPaths {
  /** The filesystem holding /boot (root, or a separate boot partition). */
  bootFs: PlannedPartition;
  /** Path of /boot/grub as GRUB sees it on bootFs. */
  grubDir: string;
  /** Prefix of kernel paths as GRUB sees them on bootFs ("/boot" or "" for a separate /boot). */
  kernelDir: string;
}

export function bootPaths(layout: DiskLayout): BootPaths {
  const boot = layout.partitions.find((p) => p.mountpoint === '/boot');
  const root = layout.partitions.find((p) => p.mountpoint === '/')!;
  return boot ? { bootFs: boot, grubDir: '/grub', kernelDir: '' } : { bootFs: root, grubDir: '/boot/grub', kernelDir: '/boot' };
}

const grubFsModule: Record<string, string> = { ext4: 'ext2', xfs: 'xfs', btrfs: 'btrfs', vfat: 'fat' };

/** The newest kernel and its initrd under /boot, as Debian's kernel packages name them. */
export function findKernel(root: string): { version: string; kernel: string; initrd: string } {
  const boot = join(root, 'boot');
  const versions = (existsSync(boot) ? readdirSync(boot) : [])
    .filter((n) => n.startsWith('vmlinuz-'))
    .map((n) => n.slice('vmlinuz-'.length))
    .filter((v) => existsSync(join(boot, `initrd.img-${v}`)))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const version = versions.at(-1);
  if (!version) {
    throw new UserError('the image has no kernel with an initramfs in /boot, so a disk image of it cannot boot', {
      hint: 'add linux-image-amd64 (Debian) or linux-image-generic (Ubuntu) to packages.install',
    });
  }
  return { version, kernel: `vmlinuz-${version}`, initrd: `initrd.img-${version}` };
}

export interface GrubConfigInput {
  root: string;
  layout: DiskLayout;
  title: string;
  kernelArgs: string[];
  rootRef: string;
}

/** /boot/grub/grub.cfg: what grub-mkconfig would write for this disk, pointing at the newest kernel. */
export function grubCfg(input: GrubConfigInput): string {
  const paths = bootPaths(input.layout);
  const k = findKernel(input.root);
  const part = input.layout.table === 'gpt' ? 'part_gpt' : 'part_msdos';
  return `# Written by Golden when the disk image was made. The image keeps grub2-common, so the first kernel
# upgrade on the deployed machine regenerates this file with update-grub from /etc/default/grub.
set default=0
set timeout=1
if serial --unit=0 --speed=115200; then
  terminal_input --append serial
  terminal_output --append serial
fi
insmod ${part}
insmod ${grubFsModule[paths.bootFs.fs] ?? 'ext2'}
search --no-floppy --fs-uuid --set=root ${paths.bootFs.fsUuid}
menuentry '${input.title.replace(/'/g, '')}' {
  linux ${paths.kernelDir}/${k.kernel} root=${input.rootRef} ro ${input.kernelArgs.join(' ')}
  initrd ${paths.kernelDir}/${k.initrd}
}
`;
}

/** /etc/default/grub for update-grub on the deployed machine: same console and arguments as the image. */
export function defaultGrub(vendor: string, kernelArgs: string[]): string {
  return `# Written by Golden. update-grub (run by kernel upgrades) reads this.
GRUB_DEFAULT=0
GRUB_TIMEOUT=1
GRUB_DISTRIBUTOR=${vendor === 'ubuntu' ? 'Ubuntu' : 'Debian'}
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_CMDLINE_LINUX="${kernelArgs.join(' ').replace(/"/g, '\\"')}"
GRUB_TERMINAL="console serial"
GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
GRUB_DISABLE_OS_PROBER=true
`;
}

/** The small grub.cfg on the ESP: find the filesystem holding /boot/grub and read the real config. */
export function espGrubCfg(layout: DiskLayout): string {
  const paths = bootPaths(layout);
  return `search --no-floppy --fs-uuid --set=root ${paths.bootFs.fsUuid}
set prefix=($root)${paths.grubDir}
configfile $prefix/grub.cfg
`;
}

/** Put shim, signed GRUB and the stub config into <root>/boot/efi, as grub-install --uefi-secure-boot would. */
export function populateEsp(root: string, layout: DiskLayout, vendor: string): void {
  const roots = [root, '/'];
  const shim = firstExisting(roots, SHIM, "shim (Secure Boot's first stage)", 'shim-signed');
  const grub = firstExisting(roots, SIGNED_GRUB, 'the signed GRUB EFI binary', 'grub-efi-amd64-signed');
  let mm: string | undefined;
  try {
    mm = firstExisting(roots, MOK_MANAGER, 'MokManager', 'shim-signed');
  } catch {
    mm = undefined;
  }
  const esp = join(root, 'boot/efi');
  const stub = espGrubCfg(layout);
  // EFI/BOOT is the removable-media path every firmware tries; EFI/<vendor> is where shim-signed's
  // upgrades (grub-install) refresh the binaries on a deployed machine. No fbx64.efi: fallback would
  // create boot entries and reset the machine on its first boot.
  const vendorDir = vendor === 'ubuntu' ? 'ubuntu' : 'debian';
  for (const [dir, shimName] of [['EFI/BOOT', 'BOOTX64.EFI'], [`EFI/${vendorDir}`, 'shimx64.efi']] as const) {
    const d = join(esp, dir);
    mkdirSync(d, { recursive: true });
    copyFileSync(shim, join(d, shimName));
    copyFileSync(grub, join(d, 'grubx64.efi'));
    if (mm) copyFileSync(mm, join(d, 'mmx64.efi'));
    writeFileSync(join(d, 'grub.cfg'), stub);
  }
  writeFileSync(join(esp, `EFI/${vendorDir}/BOOTX64.CSV`), Buffer.from(`\ufeffshimx64.efi,${vendorDir},,This is the boot entry for ${vendorDir}\n`, 'utf16le'));
}

/** Copy GRUB's i386-pc modules into <root>/boot/grub/i386-pc (what grub-install copies). */
export function installBiosModules(root: string): string {
  const src = existsSync(join(root, I386_PC, 'boot.img')) ? join(root, I386_PC) : firstExisting(['/'], [I386_PC + '/boot.img'], "GRUB's i386-pc files", 'grub-pc-bin').replace(/\/boot\.img$/, '');
  const dest = join(root, 'boot/grub/i386-pc');
  mkdirSync(dest, { recursive: true });
  for (const f of readdirSync(src)) if (/\.(mod|lst)$/.test(f)) cpSync(join(src, f), join(dest, f));
  return src;
}

/** core.img: GRUB's kernel with what it needs to find /boot/grub by UUID on this disk. */
export async function makeCoreImage(moduleDir: string, layout: DiskLayout, workDir: string): Promise<{ boot: Buffer; core: Buffer }> {
  const paths = bootPaths(layout);
  const early = join(workDir, 'core-early.cfg');
  writeFileSync(early, `search.fs_uuid ${paths.bootFs.fsUuid} root\nset prefix=($root)${paths.grubDir}\n`);
  const out = join(workDir, 'core.img');
  const mods = ['biosdisk', layout.table === 'gpt' ? 'part_gpt' : 'part_msdos', grubFsModule[paths.bootFs.fs] ?? 'ext2', 'search_fs_uuid'];
  await run('grub-mkimage', ['-O', 'i386-pc', '-d', moduleDir, '-c', early, '-p', paths.grubDir, '-o', out, ...mods], { purpose: "make GRUB's BIOS core image" });
  return { boot: readFileSync(join(moduleDir, 'boot.img')), core: readFileSync(out) };
}
