// The iso output of `golden build`: the isobuild steps run in a row on a work directory inside the
// output's scratch space, fed from the layer stack instead of command-line artefacts.
import { mkdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { GoldenConfig } from '../../config/schema.js';
import { hostAptSources, hostMirror } from '../../isobuild/host-mirror.js';
import { generatePoolStep, generateSourcesStep, initStep, installLiveFiles, makeBootableStep, makeIsoStep, setupAptStep } from '../../isobuild/steps.js';
import { workDirPaths } from '../../isobuild/workdir.js';
import { installerIsoParts } from '../../installer/iso-parts.js';
import { log } from '../../log/logger.js';
import { acquireLock } from '../../repo/lock.js';
import { type CachedSquashfs, buildSquashfs, cacheRootOf, layerSquashfs, resolveCompression } from '../squashfs.js';
import type { OutputContext, OutputResult } from '../types.js';
import { copyAdditionalFiles } from './additional-files.js';
import { manifestSourceDir, writeDiscManifest } from './disc-manifest.js';
import { cachedFileSums, type FileSums } from './checksums.js';
import { capitalise, diskInfoLine } from './disk-info.js';
import { writeLiveLayer } from './live-layer.js';
import { type AptSource, readPackageListFiles } from './pool.js';
import { archivePoolDebs } from './archive-pool.js';
import { findKernelInLayers } from './kernel.js';
import { liveVendor } from './vendor/index.js';

/** The sources the pool is resolved against: the image's distribution (mirror, updates, security). */
export function poolSources(config: GoldenConfig): AptSource[] {
  const d = config.distribution;
  const keyring = d.keyring ?? `/usr/share/keyrings/${d.vendor}-archive-keyring.gpg`;
  const mirror = d.mirror ?? hostMirror(d.suite);
  const suites = [d.suite];
  if (d.updatesSuite !== false) suites.push(d.updatesSuite === true ? `${d.suite}-updates` : d.updatesSuite);
  const out: AptSource[] = [{ uri: mirror, suites, components: d.components, signedBy: keyring }];
  if (d.securitySuite !== false) {
    const suite = d.securitySuite === true ? `${d.suite}-security` : d.securitySuite;
    const uri = d.securityMirror ?? hostAptSources().find((s) => s.suites.includes(suite))?.uri;
    if (uri) out.push({ uri, suites: [suite], components: d.components, signedBy: keyring });
  }
  return out;
}

/** Pool package lists younger than this are reused without asking the mirror again. */
const LISTS_FRESH_MS = 60 * 60_000;

export async function buildIso(ctx: OutputContext<'iso'>): Promise<OutputResult> {
  const { config } = ctx;
  const iso = config.iso;
  const w = workDirPaths(join(ctx.workDir, 'isobuild'));
  const capProject = capitalise(config.name);
  const arch = config.distribution.architecture;
  const compression = resolveCompression(iso.compression);
  const cacheRoot = cacheRootOf(ctx.layers[0]?.dir ?? '');

  await log.step('Starting the disc tree', async () => {
    await initStep(w, {
      diskInfo: diskInfoLine({ capProject, version: config.version, official: iso.official, arch, epoch: ctx.sourceDateEpoch }),
      capProject,
      version: config.version,
      official: iso.official,
      series: config.distribution.suite,
      arch,
      vendor: config.distribution.vendor,
      sourceDateEpoch: ctx.sourceDateEpoch,
      // the pool step makes the signing key when there is a pool; openpgp is not even loaded otherwise
      deferKey: true,
    });
  });

  const packages = [...iso.pool.packages, ...readPackageListFiles(iso.pool.lists)];
  const archiveDebs = iso.pool.allOfArchive ? archivePoolDebs(config, iso.pool.allOfArchive) : [];
  let sources: string | undefined;
  if (packages.length > 0 || archiveDebs.length > 0) {
    await log.step('Making the signed pool', async () => {
      const aptSources = poolSources(config);
      // The apt lists are kept between builds (keyed by the sources), so an update is a quick check.
      const aptCache = join(cacheRoot, 'iso-apt', createHash('sha256').update(JSON.stringify([aptSources, arch])).digest('hex').slice(0, 16));
      mkdirSync(aptCache, { recursive: true });
      symlinkSync(aptCache, w.aptState);
      // builds running at the same time share the lists and the .deb cache: one at a time
      const lock = await acquireLock(`${aptCache}.lock`, 30 * 60, 'the pool apt state');
      let n: number;
      try {
        await setupAptStep(w, aptSources, LISTS_FRESH_MS);
        n = await generatePoolStep(w, packages, join(cacheRoot, 'debs', 'iso-pool'), archiveDebs);
      } finally {
        lock.release();
      }
      sources = generateSourcesStep(w, iso.cdromMountpoint);
      return { detail: `${n} packages` };
    });
  }

  // the installer (when configured) runs from the live system: its files go into the live layer
  const installer = installerIsoParts(config);
  const layers: { step: string; path: string; sums: FileSums }[] = [];
  await log.step('Packing the layers as squashfs', async () => {
    // the layers still to pack (a rebuild's small top layers) and the live layer are packed side by side
    const liveDir = join(w.root, 'live-layer');
    writeLiveLayer({ dir: liveDir, imageName: config.name, imageVersion: config.version, cdromSources: sources, files: installer?.files ?? [] });
    const livePath = join(w.root, 'live-layer.squashfs');
    const live = buildSquashfs({ source: liveDir, dest: livePath, compression: resolveCompression('fast'), sourceDateEpoch: ctx.sourceDateEpoch }).then(async () => ({ step: 'live', path: livePath, sums: await cachedFileSums(livePath), cached: false }));
    const packed = ctx.layers.map(async (layer) => {
      const sq: CachedSquashfs = await layerSquashfs(layer, compression, ctx.sourceDateEpoch);
      log.event({ event: 'squashfs', step: layer.step, key: layer.key, cached: sq.cached, bytes: sq.bytes });
      return { step: layer.step, path: sq.path, sums: await cachedFileSums(sq.path, true), cached: sq.cached };
    });
    // every packing ends before a failure is reported: none is left running
    const settled = await Promise.allSettled([...packed, live]);
    const done = settled.map((r) => {
      if (r.status === 'rejected') throw r.reason;
      return r.value;
    });
    for (const { cached: _cached, ...layer } of done) layers.push(layer);
    const reused = done.filter((d) => d.cached).length;
    return { cached: reused === ctx.layers.length, detail: `${ctx.layers.length - reused} packed, ${reused} from the cache` };
  });

  let known = new Map<string, FileSums>();
  await log.step('Adding kernel, initrd and layers', async () => {
    const found = await findKernelInLayers(ctx.layers.map((l) => l.dir));
    known = installLiveFiles(w, { layers, kernel: found.kernel, initrd: found.initrd });
    // kernel and initrd sit in cached layers: their sums are kept in the cache, not beside them
    const sumsDir = join(cacheRoot, 'iso-sums');
    const liveDir = liveVendor(config.distribution.vendor).liveDir;
    known.set(`${liveDir}/vmlinuz`, await cachedFileSums(found.kernel, sumsDir));
    known.set(`${liveDir}/initrd.img`, await cachedFileSums(found.initrd, sumsDir));
    return { detail: `${found.version}, ${layers.length} layers` };
  });

  copyAdditionalFiles(iso.additionalFiles, w.isoRoot);
  const manifestDir = manifestSourceDir(ctx.layers);
  if (manifestDir) writeDiscManifest(manifestDir, w.isoRoot);

  await log.step('Making the disc bootable (BIOS, UEFI, Secure Boot)', async () => {
    return makeBootableStep(w, {
      title: `${capProject} ${config.version}`,
      kernelArguments: [...config.kernel.commandLine, ...iso.kernelCommandLine.extraCommandLine],
      extraEntries: (installer?.bootEntries ?? []).map((e) => ({ title: e.title, kernelArguments: e.kernelArgs })),
      bootFilesCache: join(cacheRoot, 'iso-boot'),
    });
  });

  let result = { path: ctx.outputPath, sha256: '' };
  await log.step('Writing the ISO image', async () => {
    result = await makeIsoStep(w, { dest: ctx.outputPath, volumeId: iso.volumeId, knownSums: known });
    return { detail: `${(statSync(result.path).size / 1048576).toFixed(0)} MiB` };
  });
  const sumFile = `${result.path}.sha256`;
  return {
    files: [
      { path: result.path, bytes: statSync(result.path).size, sha256: result.sha256 },
      { path: sumFile, bytes: statSync(sumFile).size, sha256: createHash('sha256').update(readFileSync(sumFile)).digest('hex') },
    ],
  };
}

