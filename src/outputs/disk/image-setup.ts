// What a disk image needs in its root tree that a container or live image does not: /etc/fstab, the
// boot loader's files and config, the grow-root unit, the NoCloud seed. Written into the throwaway
// upper of the output's namespace, never into a cached layer.
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GoldenConfig } from '../../config/schema.js';
import { ESP_MOUNT_OPTIONS } from '../../config/schema-media.js';
import { sourceFile } from '../../paths.js';
import { seedFiles, writeSeedIntoTree } from '../cloud-init-seed.js';
import { defaultGrub, grubCfg, installBiosModules, populateEsp } from './grub.js';
import type { DiskLayout, PlannedPartition } from './layout.js';

/** The kernel command line of disk images: the config's, plus a serial console unless it names one. */
export function diskKernelArgs(config: GoldenConfig): string[] {
  const args = [...config.kernel.commandLine];
  // the serial console last, so it becomes /dev/console: VMs and clouds show logs there
  if (!args.some((a) => a.startsWith('console='))) args.push('console=tty0', 'console=ttyS0,115200n8');
  return args;
}

function fsRef(p: PlannedPartition, by: 'uuid' | 'label'): string {
  return by === 'label' ? `LABEL=${p.fs === 'vfat' ? p.label.toUpperCase().slice(0, 11) : p.label}` : `UUID=${p.fs === 'vfat' ? `${p.fsUuid.slice(0, 4)}-${p.fsUuid.slice(4)}` : p.fsUuid}`;
}

export function fstab(layout: DiskLayout, by: 'uuid' | 'label'): string {
  const lines = ['# Written by Golden for this disk image.', '# <file system> <mount point> <type> <options> <dump> <pass>'];
  const mounted = layout.partitions.filter((p) => p.mountpoint).sort((a, b) => a.mountpoint!.split('/').length - b.mountpoint!.split('/').length || a.mountpoint!.localeCompare(b.mountpoint!));
  for (const p of mounted) {
    let options = p.options;
    if (p.mountpoint === '/' && p.fs === 'ext4' && options === 'defaults') options = 'defaults,errors=remount-ro';
    if (p.type === 'esp' && options === 'defaults') options = ESP_MOUNT_OPTIONS;
    const pass = p.fs === 'btrfs' || p.fs === 'xfs' ? 0 : p.mountpoint === '/' ? 1 : 2;
    lines.push(`${fsRef(p, by)} ${p.mountpoint} ${p.fs} ${options} 0 ${pass}`);
  }
  for (const p of layout.partitions.filter((q) => q.fs === 'swap')) lines.push(`${fsRef(p, by)} none swap sw 0 0`);
  return `${lines.join('\n')}\n`;
}

export interface SetupOptions {
  root: string;
  config: GoldenConfig;
  layout: DiskLayout;
  /** Write the NoCloud seed into the image (cloudInit.placement: image). */
  seedInImage: boolean;
}

/** Everything except the filesystems themselves; returns the GRUB i386-pc directory used (for core.img). */
export function setupImageTree(o: SetupOptions): string | undefined {
  const { root, config, layout } = o;
  const storage = config.storage;
  writeFileSync(join(root, 'etc/fstab'), fstab(layout, storage.fstabBy));
  for (const p of layout.partitions) if (p.mountpoint) mkdirSync(join(root, p.mountpoint), { recursive: true });
  const kernelArgs = diskKernelArgs(config);
  const rootPart = layout.partitions.find((p) => p.mountpoint === '/')!;
  const rootRef = fsRef(rootPart, storage.fstabBy);
  mkdirSync(join(root, 'boot/grub'), { recursive: true });
  writeFileSync(join(root, 'boot/grub/grub.cfg'), grubCfg({ root, layout, title: `${config.name} ${config.version}`, kernelArgs, rootRef }));
  writeFileSync(join(root, 'etc/default/grub'), defaultGrub(config.distribution.vendor, kernelArgs));
  let moduleDir: string | undefined;
  if (storage.bootType !== 'efi') moduleDir = installBiosModules(root);
  if (storage.bootType !== 'bios') populateEsp(root, layout, config.distribution.vendor);
  if (storage.growRoot) installGrowRoot(root);
  if (config.cloudInit && o.seedInImage) writeSeedIntoTree(root, seedFiles(config, config.cloudInit));
  return moduleDir;
}

function installGrowRoot(root: string): void {
  const script = join(root, 'usr/local/sbin/golden-growroot');
  mkdirSync(join(root, 'usr/local/sbin'), { recursive: true });
  copyFileSync(sourceFile('outputs/disk/payload/golden-growroot.sh'), script);
  chmodSync(script, 0o755);
  const units = join(root, 'etc/systemd/system');
  mkdirSync(join(units, 'sysinit.target.wants'), { recursive: true });
  copyFileSync(sourceFile('outputs/disk/payload/golden-growroot.service'), join(units, 'golden-growroot.service'));
  const link = join(units, 'sysinit.target.wants/golden-growroot.service');
  if (existsSync(link)) rmSync(link);
  symlinkSync('/etc/systemd/system/golden-growroot.service', link);
}
