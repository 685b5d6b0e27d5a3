// The seven isobuild steps on a work directory. `golden iso STEP` calls them one at a time; the iso
// output of `golden build` calls the same functions in a row (outputs/iso/build.ts).
import { existsSync, mkdirSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync, readFileSync, renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../errors.js';
import { run } from '../exec/run.js';
import { log } from '../log/logger.js';
import { acquireLock } from '../repo/lock.js';
import { generateSigningKey } from '../repo/signing.js';
import { checkBootFiles, writeBootFiles } from '../outputs/iso/boot-files.js';
import { type FileSums, sha256File, writeDiscChecksums, writeImageSum } from '../outputs/iso/checksums.js';
import { grubConfig, loopbackConfig } from '../outputs/iso/grub-config.js';
import { type AptSource, cdromSources, downloadPool, indexPool, resolvePool, updateAptState, writeAptState } from '../outputs/iso/pool.js';
import { liveVendor } from '../outputs/iso/vendor/index.js';
import { volumeId } from '../outputs/iso/disk-info.js';
import { xorrisoArgs, xorrisoEnv } from '../outputs/iso/xorriso.js';
import { linkOrCopy } from '../outputs/iso/pool.js';
import { type WorkDir, type WorkState, markDone, saveWorkState, stateFor } from './workdir.js';

/** A .deb taken from elsewhere than the mirror (the company archive), and its path in the disc's pool. */
export interface PoolDeb {
  from: string;
  poolPath: string;
}

export interface InitOptions {
  diskInfo: string;
  capProject: string;
  version: string;
  official: boolean;
  series: string;
  arch: string;
  vendor: 'debian' | 'ubuntu';
  sourceDateEpoch: number;
  /** Make the one-time signing key only when a step needs it (a disc without a pool never does). */
  deferKey?: boolean;
}

/** The disc's one-time signing key: one per disc, it signs only this pool, its private half never leaves the work directory. */
async function ensureSigningKey(w: WorkDir, o: { capProject: string; sourceDateEpoch: number }): Promise<void> {
  if (existsSync(w.keyPath)) return;
  const key = await generateSigningKey({ name: `${o.capProject} ISO One-Time Signing Key`, date: new Date(o.sourceDateEpoch * 1000) });
  mkdirSync(dirname(w.keyPath), { recursive: true, mode: 0o700 });
  writeFileSync(w.keyPath, key.privateArmored, { mode: 0o600 });
  writeFileSync(w.publicKeyPath, key.publicArmored);
}

export async function initStep(w: WorkDir, o: InitOptions): Promise<WorkState> {
  if (existsSync(w.isoRoot) && readdirSync(w.isoRoot).length > 0) {
    throw new UserError(`init: ${w.root} already holds a disc tree`, { hint: 'use a new --work-dir, or remove this one' });
  }
  mkdirSync(join(w.isoRoot, '.disk'), { recursive: true });
  writeFileSync(join(w.isoRoot, '.disk', 'info'), o.diskInfo);
  if (!o.deferKey) await ensureSigningKey(w, o);
  const vendor = liveVendor(o.vendor);
  const state: WorkState = {
    format: 1,
    vendor: o.vendor,
    series: o.series,
    arch: o.arch,
    diskInfo: o.diskInfo,
    capProject: o.capProject,
    version: o.version,
    official: o.official,
    sourceDateEpoch: o.sourceDateEpoch,
    poolSuite: o.series,
    mountpoint: vendor.mediumMountpoint,
    done: [],
  };
  markDone(w, state, 'init');
  return state;
}

/**
 * `reuseListsYoungerThanMs`: skip `apt-get update` when the lists in the (cached) apt state are that
 * fresh; the iso output uses it so a rebuild does not wait on the mirror.
 */
export async function setupAptStep(w: WorkDir, sources: readonly AptSource[], reuseListsYoungerThanMs = 0): Promise<void> {
  const state = stateFor(w, 'setup-apt');
  if (sources.length === 0) throw new UserError('setup-apt: no apt source to resolve the pool against', { hint: 'give --mirror (and --components), or --chroot DIR' });
  // apt's binary cache (pkgcache.bin) is rebuilt whenever the lists' paths change: name the real
  // directory, not the build's symlink to the shared state, or every build pays that rebuild (~2 s)
  mkdirSync(w.aptState, { recursive: true });
  const apt = writeAptState(realpathSync(w.aptState), state.arch, sources);
  const stamp = join(w.aptState, 'updated');
  const fresh = existsSync(stamp) && Date.now() - statSync(stamp).mtimeMs < reuseListsYoungerThanMs;
  if (!fresh) {
    await updateAptState(apt);
    writeFileSync(stamp, `${new Date().toISOString()}\n`);
  }
  markDone(w, state, 'setup-apt');
}

/** Resolve, download, index and sign the pool. Returns the number of packages. */
export async function generatePoolStep(w: WorkDir, packages: readonly string[], debCache: string, extraDebs: readonly PoolDeb[] = []): Promise<number> {
  const state = stateFor(w, 'generate-pool');
  await ensureSigningKey(w, state);
  const apt = { dir: w.aptState, configFile: join(w.aptState, 'apt.conf') };
  rmSync(join(w.isoRoot, 'pool'), { recursive: true, force: true });
  const names = await resolvePool(apt, packages);
  mkdirSync(debCache, { recursive: true });
  const lock = await acquireLock(`${debCache}.lock`, 30 * 60, 'the pool package cache');
  let debs: string[];
  try {
    debs = await downloadPool(apt, names, debCache, w.isoRoot);
  } finally {
    lock.release();
  }
  for (const d of extraDebs) {
    mkdirSync(dirname(join(w.isoRoot, d.poolPath)), { recursive: true });
    linkOrCopy(d.from, join(w.isoRoot, d.poolPath));
    debs.push(d.poolPath);
  }
  if (debs.length > 0) {
    await indexPool({ root: w.isoRoot, suite: state.poolSuite, arch: state.arch, debs, signingKey: readFileSync(w.keyPath, 'utf8'), origin: state.capProject });
  }
  markDone(w, state, 'generate-pool');
  return debs.length;
}

export function generateSourcesStep(w: WorkDir, mountpoint?: string): string {
  const state = stateFor(w, 'generate-sources');
  const text = cdromSources({ mountpoint: mountpoint ?? state.mountpoint, suite: state.poolSuite, publicKey: readFileSync(w.publicKeyPath, 'utf8') });
  markDone(w, state, 'generate-sources');
  return text;
}

export interface LiveFiles {
  /** Layer squashfs files, base first, with their step names. */
  layers: { step: string; path: string; sums?: FileSums }[];
  kernel: string;
  initrd: string;
}

/** Put kernel, initrd and layers into the live directory; returns disc path → sums already known. */
export function installLiveFiles(w: WorkDir, files: LiveFiles): Map<string, FileSums> {
  const state = stateFor(w, 'add-live-filesystem');
  const vendor = liveVendor(state.vendor);
  const liveDir = join(w.isoRoot, vendor.liveDir);
  rmSync(liveDir, { recursive: true, force: true });
  mkdirSync(liveDir, { recursive: true });
  linkOrCopy(files.kernel, join(liveDir, 'vmlinuz'));
  linkOrCopy(files.initrd, join(liveDir, 'initrd.img'));
  const names = vendor.layerFileNames(files.layers.map((l) => l.step));
  const known = new Map<string, FileSums>();
  files.layers.forEach((l, i) => {
    linkOrCopy(l.path, join(liveDir, names[i]!));
    if (l.sums) known.set(`${vendor.liveDir}/${names[i]}`, l.sums);
  });
  for (const [name, content] of Object.entries(vendor.layerManifest(names))) writeFileSync(join(liveDir, name), content);
  state.layers = names;
  markDone(w, state, 'add-live-filesystem');
  return known;
}

/** The artefacts of a live build named PREFIX*: PREFIXkernel|vmlinuz, PREFIXinitrd[.img], PREFIX*.squashfs. */
export function findArtifacts(prefix: string): LiveFiles {
  const dir = dirname(prefix) || '.';
  const stem = basename(prefix);
  const pick = (names: string[], what: string) => {
    const hit = names.map((n) => `${prefix}${n}`).find((p) => existsSync(p));
    if (!hit) throw new UserError(`add-live-filesystem: no ${what} found at ${names.map((n) => `${prefix}${n}`).join(' or ')}`);
    return hit;
  };
  const kernel = pick(['kernel', 'vmlinuz'], 'kernel');
  const initrd = pick(['initrd', 'initrd.img'], 'initrd');
  const squash = existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith(stem) && f.endsWith('.squashfs')).sort() : [];
  if (squash.length === 0) throw new UserError(`add-live-filesystem: no ${prefix}*.squashfs found`, { hint: 'the layers are named PREFIX[NN-name].squashfs, stacked in name order' });
  return {
    kernel,
    initrd,
    layers: squash.map((f) => {
      const step = f.slice(stem.length, -'.squashfs'.length).replace(/^[.-]+/, '').replace(/^\d+-/, '') || 'filesystem';
      return { step, path: join(dir, f) };
    }),
  };
}

export interface BootableOptions {
  title: string;
  kernelArguments: readonly string[];
  timeoutSeconds?: number;
  extraEntries?: readonly { title: string; kernelArguments: readonly string[] }[];
  /** Keep the boot loaders made from the host's files here between builds (they rarely change). */
  bootFilesCache?: string;
}

export async function makeBootableStep(w: WorkDir, o: BootableOptions): Promise<{ cached: boolean }> {
  const state = stateFor(w, 'make-bootable');
  const vendor = liveVendor(state.vendor);
  const signed = vendor.signedBootFiles(state.arch);
  checkBootFiles(signed);
  if (state.arch !== 'amd64') throw new UserError(`make-bootable: architecture ${state.arch} is not supported yet (amd64 only)`);
  const menu = { title: o.title, vendor, kernelArguments: o.kernelArguments, layers: state.layers ?? [], timeoutSeconds: o.timeoutSeconds ?? 3, extraEntries: o.extraEntries ?? [] };
  const grubDir = join(w.isoRoot, 'boot', 'grub');
  rmSync(grubDir, { recursive: true, force: true });
  rmSync(join(w.isoRoot, 'EFI'), { recursive: true, force: true });
  rmSync(w.bootStuff, { recursive: true, force: true });
  mkdirSync(grubDir, { recursive: true });
  mkdirSync(w.bootStuff, { recursive: true });
  writeFileSync(join(grubDir, 'grub.cfg'), grubConfig(menu));
  writeFileSync(join(grubDir, 'loopback.cfg'), loopbackConfig(menu));
  const cached = await writeBootFiles(w.isoRoot, join(w.bootStuff, 'esp.img'), signed, o.bootFilesCache);
  markDone(w, state, 'make-bootable');
  return { cached };
}

export interface MakeIsoOptions {
  dest: string;
  volumeId?: string;
  /** Sums already known for files in the tree (cached squashfs layers). */
  knownSums?: ReadonlyMap<string, FileSums>;
}

export async function makeIsoStep(w: WorkDir, o: MakeIsoOptions): Promise<{ path: string; sha256: string }> {
  const state = stateFor(w, 'make-iso');
  const volid = o.volumeId ?? volumeId({ capProject: state.capProject, version: state.version, arch: state.arch });
  if (volid.length > 32) throw new UserError(`make-iso: the volume id "${volid}" is longer than 32 characters`);
  await writeDiscChecksums(w.isoRoot, o.knownSums);
  mkdirSync(dirname(o.dest), { recursive: true });
  const tmp = `${o.dest}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  const xo = { isoRoot: w.isoRoot, espImage: join(w.bootStuff, 'esp.img'), volumeId: volid, output: tmp, sourceDateEpoch: state.sourceDateEpoch };
  let sha256: string;
  try {
    await run('xorriso', xorrisoArgs(xo), { env: xorrisoEnv(xo), purpose: 'writing the ISO image' });
    // hashed (from the page cache) before it takes its name, so the image and NAME.iso.sha256 appear
    // together and an interrupted build leaves neither half-written
    sha256 = await sha256File(tmp);
    renameSync(tmp, o.dest);
  } finally {
    rmSync(tmp, { force: true });
  }
  writeImageSum(o.dest, sha256);
  saveWorkState(w, state);
  markDone(w, state, 'make-iso');
  log.verbose(`ISO written: ${o.dest}`);
  return { path: o.dest, sha256 };
}
