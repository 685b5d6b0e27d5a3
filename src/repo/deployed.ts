// The repositories deployed machines keep as apt sources: those not for the build only, filtered by
// updates.sources, at their deployedUrl. One selection for the image's config step and for the three
// installers (Golden's own, the preseed, autoinstall), so what an image and an installed machine update
// from cannot drift apart. Only how the key is given differs: a keyring file in the image, inline
// Signed-By where the installer writes a single file.
import { existsSync } from 'node:fs';
import { isGoldenRepository, type GoldenConfig } from '../config/schema.js';
import { log } from '../log/logger.js';
import { goldenArchiveRoot, resolveGoldenRepository } from '../steps/apt.js';

export interface DeployedRepository {
  name: string;
  uri: string;
  suites: string[];
  components: string[];
  /** The repository's public key file (armoured or binary). */
  keyFile: string;
  /** A flat repository (suite "dir/"): its sources must not name components (sources.list(5)). */
  flat: boolean;
  /** Where its sources file goes on a deployed machine; the same for every writer, so none duplicates another. */
  sourcesPath: string;
}

/** The public key of a Golden archive: the armoured one when present. */
export function goldenArchiveKey(dir: string): string {
  try {
    const root = goldenArchiveRoot(dir);
    return existsSync(`${root}/keys/signing.asc`) ? `${root}/keys/signing.asc` : `${root}/keys/signing.gpg`;
  } catch {
    return `${dir}/keys/signing.asc`;
  }
}

/** The repositories that stay on deployed machines, in config order. */
export function deployedRepositories(config: GoldenConfig): DeployedRepository[] {
  const keep = config.updates.sources;
  const out: DeployedRepository[] = [];
  for (const r of config.repositories) {
    if (r.use === 'build') continue;
    if (keep && !keep.includes(r.name)) continue;
    let entry: Omit<DeployedRepository, 'flat' | 'sourcesPath'>;
    if (isGoldenRepository(r)) {
      if (!r.deployedUrl) {
        log.warn(`repository ${r.name}: no deployedUrl, so deployed machines get no apt source for it (give the address the archive is published at)`);
        continue;
      }
      const g = resolveGoldenRepository(r, config);
      entry = { name: r.name, uri: r.deployedUrl, suites: [g.distribution], components: g.components, keyFile: goldenArchiveKey(r.golden) };
    } else {
      entry = { name: r.name, uri: r.deployedUrl ?? r.url, suites: r.suites, components: r.components, keyFile: r.key };
    }
    out.push({ ...entry, flat: entry.suites.every((s) => s.endsWith('/')), sourcesPath: `/etc/apt/sources.list.d/golden-${r.name}.sources` });
  }
  return out;
}
