// The packages layer: install what the config asks for (packages.install, package lists, the
// metapackage) and what the outputs need in the image, then purge packages.remove. The initramfs is
// built once at the end instead of once per kernel hook and trigger.
import { chmodSync, copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { GoldenConfig } from '../config/schema.js';
import { InputError } from '../errors.js';
import { log } from '../log/logger.js';
import { sourceFile } from '../paths.js';
import { BUILD_SOURCES_LIST, aptGet, aptOptions, buildRepositories, listsFresh, stampLists, repositoryInputFiles, writeBuildSources, type BuildRepository } from './apt.js';
import { buildInitramfs, buildInstalledInitramfs, initramfsFileDestination, initramfsPayloadFiles } from './initramfs.js';
import { runPayload } from './payload.js';
import type { StepInputs, TreeStepContext } from './types.js';

export interface PackagesOptions {
  vendor: string;
  install: string[];
  remove: string[];
  repositories: BuildRepository[];
  /** Packages an output type needs in the image (e.g. a kernel for disks), listed for `plan`. */
  forOutputs: string[];
  /** The image carries an installer: build the installed system's initramfs too, without these live-only initramfs-tools files. */
  installedInitramfs?: { exclude: string[] };
  /** initramfs-tools hooks and boot scripts (Golden source files relative to src/), see initramfsFileDestination. */
  initramfsFiles?: string[];
}

/** Package names of a list file: one per line (or several separated by blanks), "#" starts a comment. */
export function parsePackageList(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .flatMap((l) => l.split(/\s+/))
    .filter(Boolean);
}

/** Locale packages follow from config.locale: anything but C/POSIX needs `locales`. */
export function impliedPackages(config: GoldenConfig): string[] {
  const out: string[] = [];
  if (!/^(C|POSIX)(\..*)?$/.test(config.locale)) out.push('locales');
  if (config.users.some((u) => u.sudo)) out.push('sudo');
  return out;
}

export function packagesInputs(config: GoldenConfig, outputPackages: readonly string[], initramfs: { installedExcludes?: readonly string[] | undefined; files?: readonly string[] } = {}): StepInputs<PackagesOptions> {
  const fromLists: string[] = [];
  for (const [i, file] of config.packages.lists.entries()) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new InputError({ file, field: `packages.lists[${i}]` }, `cannot read the package list: ${(err as Error).message}`);
    }
    fromLists.push(...parsePackageList(text));
  }
  const wanted = config.packages.metapackage ? [config.packages.metapackage.name] : [...config.packages.install, ...fromLists];
  const install = [...new Set([...wanted, ...impliedPackages(config), ...outputPackages])].sort();
  const repositories = buildRepositories(config);
  const options: PackagesOptions = { vendor: config.distribution.vendor, install, remove: [...new Set(config.packages.remove)].sort(), repositories, forOutputs: [...new Set(outputPackages)].sort() };
  const files = [...config.packages.lists, ...repositoryInputFiles(repositories), ...initramfsPayloadFiles(initramfs.installedExcludes !== undefined)];
  if (initramfs.installedExcludes) options.installedInitramfs = { exclude: [...initramfs.installedExcludes] };
  if (initramfs.files?.length) {
    options.initramfsFiles = [...initramfs.files];
    files.push(...initramfs.files.map((f) => sourceFile(f)));
  }
  return { options, files };
}

export async function runPackages(ctx: TreeStepContext<PackagesOptions>): Promise<void> {
  const o = ctx.options;
  writeBuildSources(ctx.root, o.repositories);
  await runPayload(ctx, 'initramfs-defer.sh', [], 'defer update-initramfs');
  const sourcesList = readFileSync(ctx.root.hostPath(BUILD_SOURCES_LIST), 'utf8');
  const lists = ctx.root.hostPath('/var/lib/apt/lists');
  // Only the distribution's mirrors may be trusted not to have changed in minutes: a build repository
  // (a company archive, the metapackage's) can be republished between two builds with the same sources.
  const mirrorsOnly = o.repositories.length === 0;
  if (mirrorsOnly && listsFresh(lists, sourcesList)) {
    log.verbose('apt lists were fetched minutes ago for the same sources (by mmdebstrap or an earlier step): no apt-get update');
  } else {
    await aptGet(ctx.root, ['update', '-q'], 'update the package lists');
    if (mirrorsOnly) stampLists(lists, sourcesList);
  }
  // Not part of the layer key: it changes how fast the step runs, not what it makes.
  const preload = (await runPayload(ctx, 'eatmydata-unpack.sh', aptOptions(), 'unpack libeatmydata for the build')).stdout.trim() || undefined;
  if (o.install.length > 0) await aptGet(ctx.root, ['install', '-y', '-q', ...o.install], `install ${o.install.length} packages`, preload);
  if (o.remove.length > 0) await aptGet(ctx.root, ['purge', '-y', '-q', ...o.remove], `purge ${o.remove.join(' ')}`, preload);
  for (const file of o.initramfsFiles ?? []) {
    const dest = ctx.root.hostPath(initramfsFileDestination(file));
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(sourceFile(file), dest);
    chmodSync(dest, 0o755);
  }
  // mkinitramfs is one long chain of small processes: the live and the installed system's initramfs
  // are built side by side, one per core
  await Promise.all([
    buildInitramfs(ctx),
    o.installedInitramfs ? buildInstalledInitramfs(ctx, o.installedInitramfs.exclude) : undefined,
  ]);
  // apt's binary caches are rebuilt on demand; they only make the layer bigger.
  await ctx.root.sh('rm -f /var/cache/apt/pkgcache.bin /var/cache/apt/srcpkgcache.bin');
}
