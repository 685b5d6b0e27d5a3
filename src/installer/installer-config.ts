// /etc/golden/installer.conf: the installer's settings, derived at build time from golden.yaml and written
// as a bash-sourceable file (nothing but quoted assignments), because the image runs no Node.
import { readFileSync } from 'node:fs';
import type { GoldenConfig, InstallerConfig, PartitionConfig } from '../config/schema.js';
import { UserError } from '../errors.js';
import { shellQuote } from '../exec/run.js';

/** ESP + /boot + root: /boot stays readable by GRUB while root is encrypted; a BIOS boot partition first so GRUB's core fits for BIOS. */
export const DEFAULT_INSTALL_LAYOUT: PartitionConfig[] = [
  { label: 'BIOS', size: '1M', type: 'bios-boot', options: 'defaults' },
  { label: 'ESP', size: '255M', type: 'esp', filesystem: 'vfat', mountpoint: '/boot/efi', options: 'umask=0077' },
  { label: 'boot', size: '768M', type: 'boot', filesystem: 'ext4', mountpoint: '/boot', options: 'defaults' },
  { label: 'root', size: '100%', type: 'root', filesystem: 'ext4', mountpoint: '/', options: 'defaults' },
];

export function installLayout(installer: InstallerConfig): PartitionConfig[] {
  return installer.layout ?? DEFAULT_INSTALL_LAYOUT;
}

/** One layout entry as the payload reads it: "label|size|type|fs|mountpoint|options" (lib-plan.sh layout_field). */
export function layoutEntry(p: PartitionConfig): string {
  const fields = [p.label, p.size, p.type, p.filesystem ?? '-', p.mountpoint ?? '-', p.options];
  for (const f of fields) if (f.includes('|')) throw new UserError(`installer.layout: "${f}" must not contain "|"`);
  return fields.join('|');
}

/**
 * The LUKS passphrase fixed at build time ({file} or {env}), or undefined when it is asked on the console.
 * It ends up on the disc: such a disc must be kept like the passphrase itself.
 */
export function buildTimePassphrase(installer: InstallerConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const p = installer.encryption.passphrase;
  if (p === 'prompt' || !installer.encryption.enabled) return undefined;
  let value: string | undefined;
  if ('file' in p) {
    try {
      value = readFileSync(p.file, 'utf8').split(/\r?\n/)[0];
    } catch (err) {
      throw new UserError(`installer.encryption.passphrase.file: cannot read ${p.file}: ${(err as Error).message}`);
    }
  } else {
    value = env[p.env];
    if (value === undefined) {
      throw new UserError(`installer.encryption.passphrase.env: the environment variable ${p.env} is not set`, { hint: `export ${p.env}=… before the build, or use passphrase: prompt` });
    }
  }
  if (!value) throw new UserError('installer.encryption.passphrase: the passphrase is empty');
  return value;
}

/** Glob of the squashfs files on the disc that hold what only the live system needs (the iso output's "live" layer). */
export const LIVE_ONLY_LAYERS = '*-live.squashfs';

/** Title of the installed system in menus ("NAME VERSION"). */
export function prettyName(config: GoldenConfig): string {
  return `${config.name} ${config.version}`;
}

/** Whether the disc offers the automatic (no questions) installation. */
export function automaticInstallAllowed(installer: InstallerConfig): boolean {
  return installer.automaticEntry || installer.mode === 'unattended';
}

/** Whether guided mode asks for locale, time zone and keyboard (one of them is left open by the config). */
export function asksLocale(installer: InstallerConfig): boolean {
  return installer.locale === undefined || installer.timezone === undefined || installer.keyboard === undefined;
}

export function installerConfText(config: GoldenConfig, env: NodeJS.ProcessEnv = process.env): string {
  const inst = config.installer;
  if (!inst) throw new UserError('the config has no installer section');
  const q = shellQuote;
  const flag = (b: boolean) => (b ? '1' : '0');
  const passphrase = buildTimePassphrase(inst, env);
  const keyboard = inst.keyboard ?? config.keyboard;
  const vars: [string, string][] = [
    ['GOLDEN_NAME', config.name],
    ['GOLDEN_PRETTY_NAME', prettyName(config)],
    ['GOLDEN_VENDOR', config.distribution.vendor],
    ['GOLDEN_MODE', inst.mode],
    ['GOLDEN_AUTO_ALLOWED', flag(automaticInstallAllowed(inst))],
    ['GOLDEN_DISK', inst.disk],
    ['GOLDEN_ENCRYPT', flag(inst.encryption.enabled)],
    ['GOLDEN_PASSPHRASE', passphrase ?? ''],
    ['GOLDEN_MIN_PASSPHRASE', String(inst.encryption.minLength)],
    ['GOLDEN_KDF_MEMORY_KIB', String(inst.encryption.kdf.memoryMiB * 1024)],
    ['GOLDEN_KDF_TIME_MS', String(inst.encryption.kdf.iterationTimeMs)],
    ['GOLDEN_HOSTNAME', inst.hostname ?? config.hostname],
    ['GOLDEN_USER_NAME', inst.user?.name ?? ''],
    ['GOLDEN_USER_HASH', inst.user?.passwordHash ?? ''],
    ['GOLDEN_USER_SUDO', flag(inst.user?.sudo ?? false)],
    ['GOLDEN_LOCALE', inst.locale ?? config.locale],
    ['GOLDEN_TIMEZONE', inst.timezone ?? config.timezone],
    ['GOLDEN_KEYBOARD_LAYOUT', keyboard?.layout ?? ''],
    ['GOLDEN_KEYBOARD_VARIANT', keyboard?.variant ?? ''],
    ['GOLDEN_KEYBOARD_MODEL', keyboard?.model ?? ''],
    // guided mode asks what the installer section leaves open
    ['GOLDEN_ASK_LOCALE', flag(asksLocale(inst))],
    ['GOLDEN_REBOOT', flag(inst.reboot)],
    ['GOLDEN_KEEP_CDROM', flag(inst.keepCdromSources)],
    ['GOLDEN_MEDIUM', config.iso.cdromMountpoint],
    // the ISO's own top layer (NN-live.squashfs: disc sources, live marker, this installer) is not installed
    ['GOLDEN_SKIP_LAYERS', LIVE_ONLY_LAYERS],
    ['GOLDEN_KERNEL_ARGS', config.kernel.commandLine.join(' ')],
  ];
  const lines = ['# Written by Golden from the installer section of the image configuration; read by golden-installer.'];
  for (const [k, v] of vars) lines.push(`${k}=${q(v)}`);
  lines.push(`GOLDEN_LAYOUT=(${installLayout(inst).map((p) => q(layoutEntry(p))).join(' ')})`);
  return `${lines.join('\n')}\n`;
}
