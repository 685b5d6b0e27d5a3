// The disk output types (raw, qcow2, vmdk, vhd, vhdx): one builder each, sharing buildDisk.
import type { GoldenConfig, OutputOf } from '../../config/schema.js';
import { UserError } from '../../errors.js';
import type { OutputBuilder, OutputContext } from '../types.js';
import { buildDisk } from './build-disk.js';
import type { DiskFormat } from './convert.js';
import { checkStorage, defaultFilesystem } from './layout.js';

const EXTENSIONS: Record<DiskFormat, string> = { raw: 'raw', qcow2: 'qcow2', vmdk: 'vmdk', vhd: 'vhd', vhdx: 'vhdx' };

/**
 * What the image must hold to boot from a disk and stay bootable while it is updated in place:
 * - the kernel and systemd as init; udev, because fstab names filesystems by UUID or label;
 * - grub2-common: its kernel hook (/etc/kernel/postinst.d/zz-update-grub) runs update-grub after each
 *   kernel upgrade, so grub.cfg follows the new kernel. grub-pc / grub-efi-amd64 (the packages that run
 *   grub-install on upgrade and ask debconf for a target disk) are deliberately left out: the boot
 *   blocks are written when the image is made;
 * - grub-pc-bin (BIOS: modules matching the core.img we write), shim-signed and
 *   grub-efi-amd64-signed (UEFI: the signed binaries copied to the ESP; a later shim-signed upgrade
 *   re-runs grub-install for EFI/debian on the deployed machine, keeping Secure Boot revocations current);
 * - fdisk (sfdisk, used by the grow-root unit) and the fsck tools of every filesystem on the disk;
 * - zstd, so initramfs-tools compresses the initramfs with it (it falls back to gzip without it): a
 *   smaller file for GRUB to read and a faster unpack at boot.
 */
export function diskImagePackages(config: GoldenConfig): string[] {
  const storage = config.storage;
  const pkgs = new Set<string>([config.distribution.vendor === 'ubuntu' ? 'linux-image-generic' : 'linux-image-amd64', 'systemd-sysv', 'udev', 'initramfs-tools', 'grub2-common', 'zstd']);
  if (storage.bootType !== 'efi') pkgs.add('grub-pc-bin');
  if (storage.bootType !== 'bios') for (const p of ['grub-efi-amd64-bin', 'grub-efi-amd64-signed', 'shim-signed']) pkgs.add(p);
  if (storage.growRoot) pkgs.add('fdisk');
  for (const p of storage.partitions) {
    const fs = defaultFilesystem(p);
    if (fs === 'ext4') pkgs.add('e2fsprogs');
    if (fs === 'xfs') pkgs.add('xfsprogs');
    if (fs === 'btrfs') pkgs.add('btrfs-progs');
    if (fs === 'vfat') pkgs.add('dosfstools');
  }
  return [...pkgs];
}

function diskTools(config: GoldenConfig): string[] {
  const tools = new Set(['sfdisk', 'qemu-img', 'dd', 'mount', 'grub-mkimage', 'mkfs.ext4']);
  for (const p of config.storage.partitions) {
    const fs = defaultFilesystem(p);
    if (fs === 'vfat') tools.add('mkfs.vfat').add('mcopy');
    if (fs === 'xfs') tools.add('mkfs.xfs');
    if (fs === 'btrfs') tools.add('mkfs.btrfs');
    if (fs === 'swap') tools.add('mkswap');
  }
  if (config.cloudInit?.placement === 'seed-disk') tools.add('mkfs.vfat').add('mcopy');
  return [...tools];
}

function diskBuilder<T extends DiskFormat>(type: T): OutputBuilder<T> {
  return {
    type,
    defaultFileName: (config: GoldenConfig, output: OutputOf<T>) => `${(output as OutputOf<DiskFormat>).name ?? config.name}.${EXTENSIONS[type]}`,
    requiredTools: (_output: OutputOf<T>, config: GoldenConfig) => diskTools(config),
    imagePackages: (_output: OutputOf<T>, config: GoldenConfig) => diskImagePackages(config),
    verify(_output: OutputOf<T>, config: GoldenConfig) {
      if (config.distribution.architecture !== 'amd64') {
        throw new UserError(`${type} outputs boot amd64 images only (this image is ${config.distribution.architecture})`, { hint: 'use a tar or oci output for other architectures' });
      }
      checkStorage(config.storage);
    },
    build: (ctx) => buildDisk(ctx as unknown as OutputContext<DiskFormat>, type),
  };
}

export const rawOutput = diskBuilder('raw');
export const qcow2Output = diskBuilder('qcow2');
export const vmdkOutput = diskBuilder('vmdk');
export const vhdOutput = diskBuilder('vhd');
export const vhdxOutput = diskBuilder('vhdx');
