// The packages layer: install what the config asks for (packages.install, package lists, the
// metapackage) and what the outputs need in the image, then purge packages.remove. The initramfs is
// built once at the end instead of once per kernel hook and trigger.
import { chmodSync, copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { GoldenConfig } from '../config/schema.js';
import { InputError } from '../errors.js';
import type { RunResult } from '../exec/run.js';
import { log } from '../log/logger.js';
import { sourceFile } from '../paths.js';
import { BUILD_SOURCES_LIST, aptGet, aptOptions, buildRepositories, listsFresh, stampLists, repositoryInputFiles, writeBuildSources, type BuildRepository } from './apt.js';
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
  /** initramfs-tools hooks (Golden source files relative to src/) installed as /etc/initramfs-tools/hooks/NAME. */
  initramfsHooks?: string[];
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

export function packagesInputs(config: GoldenConfig, outputPackages: readonly string[], initramfs: { installedExcludes?: readonly string[] | undefined; hooks?: readonly string[] } = {}): StepInputs<PackagesOptions> {
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
  const files = [...config.packages.lists, ...repositoryInputFiles(repositories), sourceFile('steps/payload/initramfs-defer.sh'), sourceFile('steps/payload/initramfs-build.sh')];
  if (initramfs.installedExcludes) {
    options.installedInitramfs = { exclude: [...initramfs.installedExcludes] };
    files.push(sourceFile(`steps/payload/${INSTALLED_INITRAMFS_PAYLOAD}`));
  }
  if (initramfs.hooks?.length) {
    options.initramfsHooks = [...initramfs.hooks];
    files.push(...initramfs.hooks.map((h) => sourceFile(h)));
  }
  return { options, files };
}

/** Pipe a payload script (a real file under src/steps/payload/) into bash in the image. */
export async function runPayload(ctx: TreeStepContext, name: string, args: readonly string[], purpose: string, env: Record<string, string> = {}): Promise<RunResult> {
  return ctx.root.chroot('/bin/bash', ['-s', '--', ...args], { input: readFileSync(sourceFile(`steps/payload/${name}`)), purpose, env });
}

/**
 * Environment for update-initramfs / mkinitramfs: its scratch tree (every module of the image, then the
 * cpio archive) goes to the step's /run tmpfs instead of /var/tmp on the overlay, so the uncompressed
 * initramfs is never written to the disk only to be deleted. The initramfs itself is the same.
 */
export function initramfsEnv(ctx: TreeStepContext): Record<string, string> {
  mkdirSync(ctx.root.hostPath(INITRAMFS_TMP), { recursive: true });
  return { TMPDIR: INITRAMFS_TMP };
}

const INITRAMFS_TMP = '/run/golden/tmp';

/** Where an image with an installer keeps the installed system's initramfs (the installer moves it to /boot). */
export const INSTALLED_INITRAMFS_DIR = '/usr/lib/golden-installer/initramfs';
const INSTALLED_INITRAMFS_PAYLOAD = 'initramfs-installed.sh';

/** The exclusions the installed system's initramfs was built with, when the image has one. */
export function installedInitramfsExcludes(ctx: TreeStepContext): string[] | undefined {
  const list = `${INSTALLED_INITRAMFS_DIR}/exclude.list`;
  return ctx.root.exists(list) ? readFileSync(ctx.root.hostPath(list), 'utf8').split('\n').filter(Boolean) : undefined;
}

/** Build the installed system's initramfs of every kernel (see payload/initramfs-installed.sh). */
export async function buildInstalledInitramfs(ctx: TreeStepContext, exclude: readonly string[]): Promise<void> {
  await runPayload(ctx, INSTALLED_INITRAMFS_PAYLOAD, [INSTALLED_INITRAMFS_DIR, ...exclude], "build the installed system's initramfs", initramfsEnv(ctx));
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
  for (const hook of o.initramfsHooks ?? []) {
    const dest = ctx.root.hostPath(`/etc/initramfs-tools/hooks/${basename(hook, '.hook')}`);
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(sourceFile(hook), dest);
    chmodSync(dest, 0o755);
  }
  // mkinitramfs is one long chain of small processes: the live and the installed system's initramfs
  // are built side by side, one per core
  await Promise.all([
    runPayload(ctx, 'initramfs-build.sh', [], 'build the initramfs', initramfsEnv(ctx)),
    o.installedInitramfs ? buildInstalledInitramfs(ctx, o.installedInitramfs.exclude) : undefined,
  ]);
  // apt's binary caches are rebuilt on demand; they only make the layer bigger.
  await ctx.root.sh('rm -f /var/cache/apt/pkgcache.bin /var/cache/apt/srcpkgcache.bin');
}
