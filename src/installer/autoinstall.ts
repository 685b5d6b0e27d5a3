// Ubuntu autoinstall user-data (subiquity) from the same config: LVM on LUKS with the passphrase as the
// storage password, the company sources (curtin's apt.sources with the key), unattended upgrades, and the
// same late script as the preseed. Sections left to the technician become interactive-sections.
import { stringify } from 'yaml';
import type { GoldenConfig } from '../config/schema.js';
import { UserError } from '../errors.js';
import { companySources } from './apt-policy.js';
import { buildTimePassphrase } from './installer-config.js';
import { lateCommand, staticHostname } from './late-script.js';

export interface AutoinstallDocument {
  version: 1;
  locale: string;
  keyboard: { layout: string; variant?: string };
  timezone: string;
  identity?: { hostname: string; username: string; password: string; realname: string };
  storage: { layout: { name: 'lvm' | 'direct'; password?: string; match?: { size?: 'largest'; path?: string } } };
  apt: { sources: Record<string, { source: string; key: string }> };
  packages: string[];
  updates: 'security' | 'all';
  'interactive-sections'?: string[];
  'late-commands': string[];
  shutdown: 'reboot' | 'poweroff';
}

export function autoinstallDocument(config: GoldenConfig, env: NodeJS.ProcessEnv = process.env): AutoinstallDocument {
  const inst = config.installer;
  if (!inst) throw new UserError('the config has no installer section', { hint: 'add installer: {} to golden.yaml' });
  const keyboard = inst.keyboard ?? config.keyboard;
  const hostnamePattern = inst.hostname ?? config.hostname;
  const passphrase = buildTimePassphrase(inst, env);
  const interactive: string[] = [];
  const match = inst.disk === 'auto' ? { size: 'largest' as const } : { path: inst.disk };
  // subiquity puts LUKS on LVM only (its "lvm" layout with a password); without encryption, plain partitions
  const layout: AutoinstallDocument['storage']['layout'] = inst.encryption.enabled ? { name: 'lvm', match } : { name: 'direct', match };
  if (inst.encryption.enabled) {
    if (passphrase !== undefined) layout.password = passphrase;
    else interactive.push('storage');
  }
  const doc: AutoinstallDocument = {
    version: 1,
    locale: /^(C|POSIX)(\.|$)/i.test(inst.locale ?? config.locale) ? 'en_US.UTF-8' : (inst.locale ?? config.locale),
    keyboard: { layout: keyboard?.layout ?? 'us', ...(keyboard?.variant ? { variant: keyboard.variant } : {}) },
    timezone: inst.timezone ?? config.timezone,
    storage: { layout },
    apt: { sources: {} },
    packages: config.updates.unattended.enabled ? ['unattended-upgrades'] : [],
    updates: 'security',
    'late-commands': [`curtin in-target --target=/target -- ${lateCommand(config, hostnamePattern)}`],
    shutdown: inst.reboot ? 'reboot' : 'poweroff',
  };
  if (inst.user?.passwordHash) {
    doc.identity = { hostname: staticHostname(hostnamePattern), username: inst.user.name, password: inst.user.passwordHash, realname: inst.user.name };
  } else {
    interactive.push('identity');
  }
  for (const s of companySources(config)) {
    const flat = s.suites.every((x) => x.endsWith('/'));
    const line = `deb [signed-by=$KEY_FILE] ${s.uri} ${s.suites.join(' ')}${flat ? '' : ` ${s.components.join(' ')}`}`;
    doc.apt.sources[`golden-${s.name}.list`] = { source: line, key: s.key };
  }
  if (interactive.length) doc['interactive-sections'] = interactive;
  return doc;
}

/** The user-data file: a #cloud-config document with the autoinstall key. */
export function autoinstallUserData(config: GoldenConfig, env: NodeJS.ProcessEnv = process.env): string {
  return `#cloud-config\n# Ubuntu autoinstall written by Golden for ${config.name} ${config.version}\n${stringify({ autoinstall: autoinstallDocument(config, env) }, { lineWidth: 0 })}`;
}
