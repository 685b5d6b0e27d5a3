// apt inside the image at build time: the sources the build uses (the image's own, plus repositories
// marked for build use, the company archive mounted from the host), apt's lists and .deb cache kept in
// Golden's cache (bind-mounted, never in a layer), and options that make installs fast and quiet.
import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, sha256 } from '../cache/keys.js';
import type { CacheStore } from '../cache/store.js';
import { isGoldenRepository, type GoldenConfig, type GoldenRepositoryConfig } from '../config/schema.js';
import { UserError } from '../errors.js';
import type { BindMount, ImageRoot } from '../rootfs/chroot.js';

/** A repository as the build uses it, resolved from the config. */
export type BuildRepository =
  | { name: string; kind: 'apt'; url: string; suites: string[]; components: string[]; key: string }
  | { name: string; kind: 'golden'; archive: string; publicDir: string; key: string; distribution: string; components: string[] };

/** Locate a Golden archive: the directory `golden init` made (with archive/ inside) or the archive itself. */
export function goldenArchiveRoot(dir: string): string {
  if (existsSync(join(dir, 'db', 'state.json'))) return dir;
  if (existsSync(join(dir, 'archive', 'db', 'state.json'))) return join(dir, 'archive');
  throw new UserError(`${dir} is not a Golden archive (no db/state.json)`, { hint: 'create one with `golden init DIR`, or point repositories[].golden at the archive directory' });
}

export function resolveGoldenRepository(r: GoldenRepositoryConfig, config: GoldenConfig): Extract<BuildRepository, { kind: 'golden' }> {
  const archive = goldenArchiveRoot(r.golden);
  let dists: Record<string, { components?: string[] }> = {};
  try {
    dists = (JSON.parse(readFileSync(join(archive, 'db', 'state.json'), 'utf8')) as { dists?: typeof dists }).dists ?? {};
  } catch {
    dists = {};
  }
  const names = Object.keys(dists).sort();
  const distribution = r.distribution ?? (names.length === 1 ? names[0] : names.includes(config.distribution.suite) ? config.distribution.suite : names.includes('stable') ? 'stable' : names[0]);
  if (!distribution) throw new UserError(`the Golden archive ${archive} has no distribution yet`, { hint: 'add one with `golden repo add-dist NAME` and publish packages to it' });
  const components = r.components ?? dists[distribution]?.components ?? ['main'];
  const key = join(archive, 'keys', 'signing.gpg');
  return { name: r.name, kind: 'golden', archive, publicDir: join(archive, 'public'), key: existsSync(key) ? key : join(archive, 'keys', 'signing.asc'), distribution, components };
}

/** Repositories apt uses during the build (use: build or both). */
export function buildRepositories(config: GoldenConfig): BuildRepository[] {
  return config.repositories
    .filter((r) => r.use !== 'image')
    .map((r) =>
      isGoldenRepository(r) ? resolveGoldenRepository(r, config) : { name: r.name, kind: 'apt' as const, url: r.url, suites: r.suites, components: r.components, key: r.key },
    );
}

/** Files whose content decides what a repository offers: its key and, for a Golden archive, its signed index. */
export function repositoryInputFiles(repos: readonly BuildRepository[]): string[] {
  const out: string[] = [];
  for (const r of repos) {
    out.push(r.key);
    if (r.kind === 'golden') {
      const inRelease = join(r.publicDir, 'dists', r.distribution, 'InRelease');
      const release = join(r.publicDir, 'dists', r.distribution, 'Release');
      // not published yet (a metapackage is about to be): nothing to hash, the key says "no index"
      if (existsSync(inRelease)) out.push(inRelease);
      else if (existsSync(release)) out.push(release);
    }
  }
  return out;
}

const RUN_DIR = '/run/golden';
/** The build's apt source list in the image (in /run: never part of a layer). */
export const BUILD_SOURCES_LIST = `${RUN_DIR}/sources.list`;

/**
 * Mounts a package step needs: apt's .deb cache and lists, and each Golden archive read-only. apt locks
 * its cache and lists directories and gives up at once when another apt holds them, so two builds
 * sharing one cache would fail; each step therefore gets private copies made of hard links to the shared
 * files (instant, no extra space), and `harvest()` links what it downloaded back into the shared cache.
 */
export function aptWorkDirs(store: CacheStore, vendor: string, repos: readonly BuildRepository[], sourcesId: string, workDir: string): { binds: BindMount[]; harvest(): void } {
  const sharedDebs = store.debsDir(vendor);
  const sharedLists = store.aptListsDir(sourcesId);
  const debs = join(workDir, 'apt-archives');
  const lists = join(workDir, 'apt-lists');
  linkFiles(sharedDebs, debs, (n) => n.endsWith('.deb'));
  linkFiles(sharedLists, lists, (n) => n !== 'lock');
  const binds: BindMount[] = [
    { host: debs, target: '/var/cache/apt/archives' },
    { host: lists, target: '/var/lib/apt/lists' },
  ];
  for (const r of repos) if (r.kind === 'golden') binds.push({ host: r.publicDir, target: `${RUN_DIR}/archives/${r.name}`, readOnly: true });
  return {
    binds,
    harvest() {
      publishFiles(debs, sharedDebs, (n) => n.endsWith('.deb'));
      publishFiles(lists, sharedLists, (n) => n !== 'lock');
    },
  };
}

/** Hard-link the regular files of `from` into a new directory `to` (with apt's partial/ subdirectory). */
export function linkFiles(from: string, to: string, want: (name: string) => boolean): void {
  mkdirSync(join(to, 'partial'), { recursive: true });
  for (const e of readdirSync(from, { withFileTypes: true })) {
    if (!e.isFile() || !want(e.name)) continue;
    try {
      linkSync(join(from, e.name), join(to, e.name));
    } catch {
      copyFileSync(join(from, e.name), join(to, e.name));
    }
  }
}

/** Put new or replaced files of `from` into the shared `to`, each appearing atomically (link, rename). */
export function publishFiles(from: string, to: string, want: (name: string) => boolean): void {
  for (const e of readdirSync(from, { withFileTypes: true })) {
    if (!e.isFile() || !want(e.name)) continue;
    const src = join(from, e.name);
    const dest = join(to, e.name);
    try {
      if (statSync(dest).ino === statSync(src).ino) continue;
    } catch {
      // not in the shared cache yet
    }
    const tmp = join(to, `.${e.name}.${process.pid}.tmp`);
    try {
      linkSync(src, tmp);
    } catch {
      copyFileSync(src, tmp);
    }
    renameSync(tmp, dest);
  }
}

export function sourcesId(vendor: string, baseSources: readonly string[], repos: readonly BuildRepository[]): string {
  return sha256(canonicalJson({ vendor, baseSources, repos: repos.map((r) => ({ ...r })) })).slice(0, 24);
}

/**
 * Write the build's apt source list into the image's /run (a tmpfs: never part of a layer): the image's
 * own /etc/apt/sources.list followed by the build repositories, each with its key as signed-by.
 */
export function writeBuildSources(root: ImageRoot, repos: readonly BuildRepository[]): void {
  const runDir = root.hostPath(RUN_DIR);
  mkdirSync(join(runDir, 'keys'), { recursive: true });
  let list = '';
  const own = root.hostPath('/etc/apt/sources.list');
  if (existsSync(own)) list += readFileSync(own, 'utf8');
  for (const r of repos) {
    const ext = r.key.endsWith('.asc') || readFileSync(r.key).subarray(0, 5).toString() === '-----' ? 'asc' : 'gpg';
    const keyPath = `${RUN_DIR}/keys/${r.name}.${ext}`;
    writeFileSync(root.hostPath(keyPath), readFileSync(r.key));
    if (r.kind === 'golden') {
      list += `\ndeb [signed-by=${keyPath}] file:${RUN_DIR}/archives/${r.name} ${r.distribution} ${r.components.join(' ')}\n`;
    } else {
      for (const suite of r.suites) {
        list += suite.endsWith('/') ? `\ndeb [signed-by=${keyPath}] ${r.url} ${suite}\n` : `\ndeb [signed-by=${keyPath}] ${r.url} ${suite} ${r.components.join(' ')}\n`;
      }
    }
  }
  writeFileSync(root.hostPath(BUILD_SOURCES_LIST), list);
}

/**
 * apt's lists are fetched by mmdebstrap for the base and again by the packages step's `apt-get update`,
 * minutes apart, from the same sources. A stamp in the lists directory (the sha256 of the source list
 * they were fetched for, and when) lets a step skip the second update while the lists are this fresh.
 */
export const LISTS_FRESH_MS = 10 * 60_000;
const LISTS_STAMP = 'golden-fetched';

/** Record that `listsDir` was just filled from `sourcesList` (a new file: the old one may be hard-linked). */
export function stampLists(listsDir: string, sourcesList: string, now = Date.now()): void {
  const tmp = join(listsDir, `.${LISTS_STAMP}.${process.pid}.tmp`);
  writeFileSync(tmp, `${sha256(sourcesList)} ${now}\n`);
  renameSync(tmp, join(listsDir, LISTS_STAMP));
}

/** Whether `listsDir` was filled from exactly `sourcesList` less than LISTS_FRESH_MS ago. */
export function listsFresh(listsDir: string, sourcesList: string, now = Date.now()): boolean {
  let stamp: string;
  try {
    stamp = readFileSync(join(listsDir, LISTS_STAMP), 'utf8');
  } catch {
    return false;
  }
  const [hash, when] = stamp.trim().split(' ');
  const age = now - Number(when);
  return hash === sha256(sourcesList) && age >= 0 && age < LISTS_FRESH_MS;
}

/** apt-get options for every build-time apt run. */
export function aptOptions(): string[] {
  return [
    '-o', `Dir::Etc::SourceList=${BUILD_SOURCES_LIST}`,
    '-o', 'APT::Install-Recommends=false',
    '-o', 'APT::Install-Suggests=false',
    '-o', 'Acquire::Languages=none',
    '-o', 'APT::Sandbox::User=root',
    '-o', 'Dpkg::Use-Pty=0',
    '-o', 'DPkg::Options::=--force-unsafe-io',
    '-o', 'DPkg::Options::=--force-confdef',
    '-o', 'DPkg::Options::=--force-confold',
    '-o', 'APT::Keep-Downloaded-Packages=true',
  ];
}

/**
 * Run apt-get in the image with the build's sources and options. `preload` (libeatmydata, see
 * payload/eatmydata-unpack.sh) is set through env(1) inside the chroot: set on nsenter it would make
 * every host tool on the way complain that the image path cannot be preloaded.
 */
export async function aptGet(root: ImageRoot, args: readonly string[], purpose: string, preload?: string): Promise<void> {
  if (preload) await root.chroot('/usr/bin/env', [`LD_PRELOAD=${preload}`, 'apt-get', ...aptOptions(), ...args], { purpose });
  else await root.chroot('apt-get', [...aptOptions(), ...args], { purpose });
}
