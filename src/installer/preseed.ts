// debian-installer preseed.cfg from the same config as Golden's installer: partman-crypto for LUKS,
// the distribution mirror, the first user, and a late_command that writes the company sources and the
// unattended-upgrades policy exactly as Golden's installer does. Checked by `debconf-set-selections -c`.
import type { GoldenConfig } from '../config/schema.js';
import { UserError } from '../errors.js';
import { buildTimePassphrase } from './installer-config.js';
import { lateCommand, staticHostname } from './late-script.js';

/** d-i wants a real locale; C.UTF-8 is not among its choices. */
function diLocale(locale: string): string {
  return /^(C|POSIX)(\.|$)/i.test(locale) ? 'en_US.UTF-8' : locale;
}

function mirrorLines(config: GoldenConfig): string[] {
  const mirror = config.distribution.mirror;
  if (!mirror) {
    throw new UserError('no distribution mirror for the preseed', {
      hint: "set distribution.mirror, or configure one in the build machine's apt sources",
    });
  }
  const url = new URL(mirror);
  const protocol = url.protocol.replace(/:$/, '');
  return [
    'd-i mirror/country string manual',
    `d-i mirror/protocol select ${protocol}`,
    `d-i mirror/${protocol}/hostname string ${url.host}`,
    `d-i mirror/${protocol}/directory string ${url.pathname.replace(/\/$/, '') || '/'}`,
    `d-i mirror/${protocol}/proxy string`,
    `d-i mirror/suite string ${config.distribution.suite}`,
  ];
}

export function preseedText(config: GoldenConfig, env: NodeJS.ProcessEnv = process.env): string {
  const inst = config.installer;
  if (!inst) throw new UserError('the config has no installer section', { hint: 'add installer: {} to golden.yaml' });
  const locale = diLocale(inst.locale ?? config.locale);
  const keyboard = inst.keyboard ?? config.keyboard;
  const hostnamePattern = inst.hostname ?? config.hostname;
  const hostname = staticHostname(hostnamePattern);
  const passphrase = buildTimePassphrase(inst, env);
  const unattended = config.updates.unattended.enabled;
  const lines: string[] = [
    `# debian-installer preseed written by Golden for ${config.name} ${config.version}`,
    `d-i debian-installer/locale string ${locale}`,
    `d-i keyboard-configuration/xkb-keymap select ${keyboard?.layout ?? 'us'}`,
    ...(keyboard?.variant ? [`d-i keyboard-configuration/variant select ${keyboard.variant}`] : []),
    'd-i netcfg/choose_interface select auto',
    `d-i netcfg/get_hostname string ${hostname}`,
    'd-i netcfg/get_domain string',
    `d-i netcfg/hostname string ${hostname}`,
    ...mirrorLines(config),
    'd-i passwd/root-login boolean false',
  ];
  if (inst.user) {
    lines.push(`d-i passwd/user-fullname string ${inst.user.name}`, `d-i passwd/username string ${inst.user.name}`);
    if (inst.user.passwordHash) lines.push(`d-i passwd/user-password-crypted password ${inst.user.passwordHash}`);
  }
  lines.push('d-i clock-setup/utc boolean true', `d-i time/zone string ${inst.timezone ?? config.timezone}`, 'd-i clock-setup/ntp boolean true');
  if (inst.disk !== 'auto') lines.push(`d-i partman-auto/disk string ${inst.disk}`);
  lines.push(
    `d-i partman-auto/method string ${inst.encryption.enabled ? 'crypto' : 'regular'}`,
    'd-i partman-auto/choose_recipe select atomic',
    'd-i partman-lvm/device_remove_lvm boolean true',
    'd-i partman-md/device_remove_md boolean true',
    'd-i partman-lvm/confirm boolean true',
    'd-i partman-lvm/confirm_nooverwrite boolean true',
    'd-i partman-auto-lvm/guided_size string max',
    'd-i partman-efi/non_efi_system boolean true',
    'd-i partman-partitioning/confirm_write_new_label boolean true',
    'd-i partman/choose_partition select finish',
    'd-i partman/confirm boolean true',
    'd-i partman/confirm_nooverwrite boolean true',
  );
  if (inst.encryption.enabled) {
    // overwriting the whole disk with random data first costs hours on big disks
    lines.push('d-i partman-auto-crypto/erase_disks boolean false', 'd-i partman-crypto/confirm boolean true');
    if (passphrase !== undefined) {
      lines.push(`d-i partman-crypto/passphrase password ${passphrase}`, `d-i partman-crypto/passphrase-again password ${passphrase}`, 'd-i partman-crypto/weak_passphrase boolean false');
    }
  }
  lines.push(
    'd-i apt-setup/services-select multiselect security, updates',
    `d-i apt-setup/disable-cdrom-entries boolean ${inst.keepCdromSources ? 'false' : 'true'}`,
    'tasksel tasksel/first multiselect standard',
    `d-i pkgsel/include string ${unattended ? 'unattended-upgrades' : ''}`.trimEnd(),
    `d-i pkgsel/update-policy select ${unattended ? 'unattended-upgrades' : 'none'}`,
    'd-i pkgsel/upgrade select safe-upgrade',
    'popularity-contest popularity-contest/participate boolean false',
    'd-i grub-installer/only_debian boolean true',
    'd-i grub-installer/with_other_os boolean false',
    'd-i grub-installer/bootdev string default',
    `d-i debian-installer/add-kernel-opts string ${config.kernel.commandLine.join(' ')}`.trimEnd(),
    'd-i finish-install/reboot_in_progress note',
  );
  if (!inst.reboot) lines.push('d-i debian-installer/exit/poweroff boolean true');
  lines.push(`d-i preseed/late_command string in-target ${lateCommand(config, hostnamePattern)}`);
  return `${lines.join('\n')}\n`;
}
