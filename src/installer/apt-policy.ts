// What the installed machine takes its updates from: the company's apt sources (deb822, the key inline in
// Signed-By) and the unattended-upgrades policy. One derivation for all three installers (Golden's own,
// debian-installer's preseed, Ubuntu's autoinstall), so they cannot drift apart.
import { deriveConfig, AUTO_UPGRADES_FILE, UNATTENDED_FILE } from '../config/derive.js';
import type { GoldenConfig } from '../config/schema.js';
import { deployedRepositories } from '../repo/deployed.js';
import { deb822Sources } from '../repo/sources.js';

export interface CompanySource {
  name: string;
  /** Where the file goes: the same name the config step gives it, so the installer replaces, never duplicates. */
  path: string;
  uri: string;
  suites: string[];
  components: string[];
  /** The armoured key (what Signed-By holds). */
  key: string;
  content: string;
}

/** Repositories that stay on deployed machines, as deb822 sources with the key inline. */
export function companySources(config: GoldenConfig): CompanySource[] {
  return deployedRepositories(config).map((r) => {
    let content = deb822Sources({ uris: r.uri, suites: r.suites, components: r.components, signedBy: r.keyFile });
    if (r.flat) content = content.replace(/^Components: .*\n/m, '');
    const key = content.slice(content.indexOf('Signed-By:\n') + 'Signed-By:\n'.length).split('\n').map((l) => (l === ' .' ? '' : l.slice(1))).join('\n').trim() + '\n';
    return { name: r.name, path: r.sourcesPath, uri: r.uri, suites: r.suites, components: r.components, key, content: `# Written by Golden from repositories (${r.name})\n${content}` };
  });
}

/** The apt.conf.d files of updates.unattended (empty when it is disabled), as the config loader derives them. */
export function unattendedPolicyFiles(config: GoldenConfig): { path: string; content: string }[] {
  if (!config.updates.unattended.enabled) return [];
  const derived = config.files.some((f) => f.destination === UNATTENDED_FILE) ? config : deriveConfig(config);
  const out: { path: string; content: string }[] = [];
  for (const path of [AUTO_UPGRADES_FILE, UNATTENDED_FILE]) {
    const f = derived.files.find((x) => x.destination === path);
    if (f && 'content' in f) out.push({ path, content: f.content });
  }
  return out;
}
