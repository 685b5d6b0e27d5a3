// The seam between the installer and the ISO output: what the live image needs so that it can install
// itself to a disk. The ISO builder adds imagePackages to the image, one boot menu entry per bootEntries
// item, and `files` as an extra top layer of the live system (see docs/installer.md).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GoldenConfig } from '../config/schema.js';
import { companySources, unattendedPolicyFiles } from './apt-policy.js';
import { asksLocale, automaticInstallAllowed, installLayout, installerConfText } from './installer-config.js';

export interface InstallerBootEntry {
  id: string;
  title: string;
  kernelArgs: string[];
}

export interface InstallerFile {
  /** Absolute path in the live image. */
  path: string;
  content: string | Buffer;
  mode: number;
}

export interface InstallerIsoParts {
  imagePackages: string[];
  bootEntries: InstallerBootEntry[];
  files: InstallerFile[];
}

/** The payload sources, beside the compiled code's source tree (dist/src/installer → src/installer/payload). */
export const PAYLOAD_DIR = fileURLToPath(new URL('../../../src/installer/payload/', import.meta.url));

export const INSTALLER_LIB = '/usr/lib/golden-installer';
export const INSTALLER_CONF = '/etc/golden/installer.conf';
/** Files under this directory are copied as they are onto the installed system's root. */
export const TARGET_FILES = `${INSTALLER_LIB}/target-files`;

/** Where each payload file goes in the live image, and its mode. */
export const PAYLOAD_FILES: readonly { name: string; path: string; mode: number }[] = [
  { name: 'golden-installer', path: `${INSTALLER_LIB}/golden-installer`, mode: 0o755 },
  { name: 'lib-plan.sh', path: `${INSTALLER_LIB}/lib-plan.sh`, mode: 0o644 },
  { name: 'lib-disk.sh', path: `${INSTALLER_LIB}/lib-disk.sh`, mode: 0o644 },
  { name: 'lib-copy.sh', path: `${INSTALLER_LIB}/lib-copy.sh`, mode: 0o644 },
  { name: 'lib-target.sh', path: `${INSTALLER_LIB}/lib-target.sh`, mode: 0o644 },
  { name: 'lib-ui.sh', path: `${INSTALLER_LIB}/lib-ui.sh`, mode: 0o644 },
  { name: 'golden-installer.service', path: '/etc/systemd/system/golden-installer.service', mode: 0o644 },
  { name: 'golden-installer-generator', path: '/etc/systemd/system-generators/golden-installer-generator', mode: 0o755 },
  { name: 'golden-install-report.service', path: '/etc/systemd/system/golden-install-report.service', mode: 0o644 },
  { name: 'golden-install-report', path: '/usr/libexec/golden-install-report', mode: 0o755 },
  { name: 'zz-golden-update-grub', path: `${TARGET_FILES}/etc/kernel/postinst.d/zz-golden-update-grub`, mode: 0o755 },
  { name: 'zz-golden-update-grub', path: `${TARGET_FILES}/etc/kernel/postrm.d/zz-golden-update-grub`, mode: 0o755 },
];

/** The payload files' paths on the build machine (their content goes into the live image). */
export function installerPayloadFiles(): string[] {
  return [...new Set(PAYLOAD_FILES.map((f) => `${PAYLOAD_DIR}${f.name}`))];
}

/** What the live image must contain to run the installer: partitioning, LUKS, filesystems, copy, GRUB for both firmwares. */
export function installerImagePackages(config: GoldenConfig): string[] {
  const inst = config.installer;
  if (!inst) return [];
  const pkgs = [
    'cryptsetup',
    'cryptsetup-initramfs',
    'initramfs-tools',
    'grub-common',
    'grub2-common',
    'grub-pc-bin',
    'grub-efi-amd64-bin',
    'grub-efi-amd64-signed',
    'shim-signed',
    'efibootmgr',
    'dosfstools',
    'e2fsprogs',
    'fdisk',
    'udev',
    // the copy unpacks the medium's layers (unsquashfs) and clears overlayfs' markers (setfattr)
    'squashfs-tools',
    'attr',
    'whiptail',
  ];
  const filesystems = new Set(installLayout(inst).map((p) => p.filesystem));
  if (filesystems.has('xfs')) pkgs.push('xfsprogs');
  if (filesystems.has('btrfs')) pkgs.push('btrfs-progs');
  if (config.updates.unattended.enabled) pkgs.push('unattended-upgrades');
  // guided mode asks locale, time zone and keyboard only when the config leaves one open (installer.conf GOLDEN_ASK_LOCALE)
  const asks = inst.mode === 'guided' && asksLocale(inst);
  if (!/^(C|POSIX)(\.UTF-?8)?$/i.test(inst.locale ?? config.locale) || asks) pkgs.push('locales');
  if ((inst.timezone ?? config.timezone) !== 'Etc/UTC' || asks) pkgs.push('tzdata');
  return pkgs;
}

export function installerBootEntries(config: GoldenConfig): InstallerBootEntry[] {
  const inst = config.installer;
  if (!inst) return [];
  const entries: InstallerBootEntry[] = [{ id: 'install', title: `Install ${config.name}`, kernelArgs: ['golden.install=guided'] }];
  if (automaticInstallAllowed(inst)) {
    const disk = inst.disk === 'auto' ? 'the largest disk' : inst.disk;
    entries.push({ id: 'install-auto', title: `Install ${config.name} automatically (erases ${disk})`, kernelArgs: ['golden.install=auto'] });
  }
  return entries;
}

/** The installed system's report names the company archive, so it can tell its sources from others. */
function reportConf(uris: readonly string[]): string {
  const quoted = uris.map((u) => `'${u.replace(/'/g, `'\\''`)}'`).join(' ');
  return `# Written by Golden: the company archive the installed system must update from\nCOMPANY_URIS=(${quoted})\n`;
}

export function installerFiles(config: GoldenConfig, env: NodeJS.ProcessEnv = process.env): InstallerFile[] {
  const files: InstallerFile[] = PAYLOAD_FILES.map((f) => ({ path: f.path, content: readFileSync(`${PAYLOAD_DIR}${f.name}`), mode: f.mode }));
  // it can hold the LUKS passphrase: readable by root only
  files.push({ path: INSTALLER_CONF, content: installerConfText(config, env), mode: 0o600 });
  const sources = companySources(config);
  for (const s of sources) files.push({ path: `${TARGET_FILES}${s.path}`, content: s.content, mode: 0o644 });
  for (const p of unattendedPolicyFiles(config)) files.push({ path: `${TARGET_FILES}${p.path}`, content: p.content, mode: 0o644 });
  files.push({ path: `${TARGET_FILES}/etc/golden/install-report.conf`, content: reportConf(sources.map((s) => s.uri)), mode: 0o644 });
  return files;
}

/** Everything the ISO needs for the installer; undefined when the config has no installer section. */
export function installerIsoParts(config: GoldenConfig): InstallerIsoParts | undefined {
  if (!config.installer) return undefined;
  return { imagePackages: installerImagePackages(config), bootEntries: installerBootEntries(config), files: installerFiles(config) };
}
