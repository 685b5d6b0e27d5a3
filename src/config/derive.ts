// What follows from a valid config without being written in it: the mirror the host's apt uses, and the
// unattended-upgrades configuration files made from `updates.unattended`. Doing it here keeps every step
// and output free of these rules: they see ordinary files and packages.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isGoldenRepository, type FileEntry, type GoldenConfig } from './schema.js';
import { hostMirrors } from './host-mirror.js';

export const AUTO_UPGRADES_FILE = '/etc/apt/apt.conf.d/20auto-upgrades';
export const UNATTENDED_FILE = '/etc/apt/apt.conf.d/52golden-unattended-upgrades';

export function deriveConfig(input: GoldenConfig, opts: { etcApt?: string } = {}): GoldenConfig {
  const config = structuredClone(input);
  const dist = config.distribution;
  if (dist.mirror === undefined || (dist.securitySuite !== false && dist.securityMirror === undefined)) {
    const host = hostMirrors(dist.vendor, opts.etcApt);
    dist.mirror ??= host.mirror;
    if (dist.securitySuite !== false) dist.securityMirror ??= host.securityMirror ?? dist.mirror;
  }
  if (dist.mirror === undefined) delete dist.mirror;
  if (dist.securityMirror === undefined) delete dist.securityMirror;

  const u = config.updates.unattended;
  if (u.enabled) {
    if (!config.packages.install.includes('unattended-upgrades')) config.packages.install.push('unattended-upgrades');
    if (u.origins.length === 0) u.origins = defaultOrigins(config);
    addFile(config, { content: autoUpgradesText(), destination: AUTO_UPGRADES_FILE, mode: '0644', owner: 'root:root' });
    addFile(config, { content: unattendedText(config), destination: UNATTENDED_FILE, mode: '0644', owner: 'root:root' });
  }
  return config;
}

/** A file the user wrote at the same destination wins over a derived one. */
function addFile(config: GoldenConfig, entry: FileEntry): void {
  if (!config.files.some((f) => f.destination === entry.destination)) config.files.push(entry);
}

/** Suite names of the distribution, with the update and security suites resolved. */
export function distributionSuites(config: GoldenConfig): { suite: string; updates?: string; security?: string } {
  const d = config.distribution;
  const pick = (v: boolean | string, suffix: string) => (v === true ? `${d.suite}-${suffix}` : v === false ? undefined : v);
  const updates = pick(d.updatesSuite, 'updates');
  const security = pick(d.securitySuite, 'security');
  return { suite: d.suite, ...(updates ? { updates } : {}), ...(security ? { security } : {}) };
}

export function defaultOrigins(config: GoldenConfig): string[] {
  const s = distributionSuites(config);
  const out: string[] = [];
  if (config.distribution.vendor === 'debian') {
    out.push(`origin=Debian,codename=${s.suite},label=Debian`);
    if (s.security) out.push(`origin=Debian,codename=${s.security},label=Debian-Security`);
    if (s.updates) out.push(`origin=Debian,codename=${s.updates},label=Debian`);
  } else {
    out.push(`origin=Ubuntu,archive=${s.suite}`);
    if (s.security) out.push(`origin=Ubuntu,archive=${s.security}`);
    if (s.updates) out.push(`origin=Ubuntu,archive=${s.updates}`);
  }
  // unattended-upgrades matches "site" against the host name in the deployed machine's sources, and
  // "origin" against the Origin field of a Golden archive's Release file.
  for (const r of config.repositories) {
    if (r.use === 'build') continue;
    if (isGoldenRepository(r)) for (const o of goldenArchiveOrigins(r.golden)) if (!out.includes(`origin=${o}`)) out.push(`origin=${o}`);
    const url = r.deployedUrl ?? (isGoldenRepository(r) ? undefined : r.url);
    if (!url) continue;
    const host = new URL(url).hostname;
    if (host && !out.includes(`site=${host}`)) out.push(`site=${host}`);
  }
  return out;
}

/** Origins of a Golden archive's distributions (db/state.json of `golden repo`); none if unreadable. */
function goldenArchiveOrigins(dir: string): string[] {
  try {
    const state = JSON.parse(readFileSync(join(dir, 'db', 'state.json'), 'utf8')) as { dists?: Record<string, { origin?: unknown }> };
    return [...new Set(Object.values(state.dists ?? {}).map((d) => d.origin).filter((o): o is string => typeof o === 'string' && o !== ''))];
  } catch {
    return [];
  }
}

function autoUpgradesText(): string {
  return 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n';
}

function unattendedText(config: GoldenConfig): string {
  const u = config.updates.unattended;
  const q = (s: string) => `"${s.replace(/["\\]/g, '')}"`;
  return [
    '// Written by Golden from updates.unattended in the image configuration.',
    'Unattended-Upgrade::Origins-Pattern {',
    ...u.origins.map((o) => `        ${q(o)};`),
    '};',
    `Unattended-Upgrade::Automatic-Reboot ${q(String(u.reboot.enabled))};`,
    `Unattended-Upgrade::Automatic-Reboot-Time ${q(u.reboot.time)};`,
    '',
  ].join('\n');
}
