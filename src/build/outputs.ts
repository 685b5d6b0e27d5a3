// Making the outputs from the layer stack. Each output is cached by key like a layer (except a rootfs
// directory, which would only double the disk space): a rebuild with unchanged inputs copies the stored
// artefact. An artefact appears at its final path only complete (temporary name, then rename).
import { copyFileSync, existsSync, linkSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import type { CacheStore } from '../cache/store.js';
import type { GoldenConfig } from '../config/schema.js';
import { InternalError } from '../errors.js';
import { run } from '../exec/run.js';
import type { CleanupStack } from '../lifecycle.js';
import type { LayerInfo, OutputContext, OutputFile, OutputResult } from '../outputs/types.js';
import type { PlannedOutput } from '../plan/plan.js';
import { MountNamespace } from '../rootfs/namespace.js';

/**
 * Output types not worth keeping in the cache: a rootfs directory, and disk images, which are cheap to
 * remake from the cached filesystem of their lower layers (copying a stored image and hashing it again
 * would cost as much).
 */
const UNCACHED = new Set(['rootfs', 'raw', 'qcow2', 'vmdk', 'vhd', 'vhdx']);
/**
 * Output types only ever read once made (an ISO is read-only by nature): delivered as hard links to the
 * cache entry instead of copies, which for a live ISO was most of a rebuild's time.
 */
const LINKED = new Set(['iso']);

export interface OutputRun {
  output: PlannedOutput;
  files: OutputFile[];
  cached: boolean;
}

interface Shared {
  store: CacheStore;
  config: GoldenConfig;
  configDir: string;
  layers: LayerInfo[];
  cleanup: CleanupStack;
  sourceDateEpoch: number;
}

/** The OutputContext.openRoot of the contract: merged layers plus a throwaway upper in `workDir`. */
export function rootOpener(layers: LayerInfo[], workDir: string, cleanup: CleanupStack): OutputContext['openRoot'] {
  let n = 0;
  return async (opts = {}) => {
    const i = n++;
    const ns = await MountNamespace.open({
      layers: [...layers.map((l) => l.dir), ...(opts.extraLayers ?? [])],
      upper: join(workDir, `root-${i}`, 'upper'),
      work: join(workDir, `root-${i}`, 'work'),
      mountpoint: join(workDir, `root-${i}`, 'mnt'),
      chrootMounts: opts.chrootMounts ?? false,
      label: `output root ${i}`,
    });
    // a safety net: the builder closes it, but an exception must not leave it open
    cleanup.defer(`output root ${i}`, () => ns.close());
    return ns;
  };
}

export async function makeOutput(o: PlannedOutput, shared: Shared): Promise<OutputRun> {
  const { store } = shared;
  const cacheable = !UNCACHED.has(o.entry.type);
  if (cacheable) {
    const hit = store.lookup('output', o.key);
    if (hit) {
      store.touch('output', o.key);
      return { output: o, files: await deliver(hit.dir, hit.files ?? [], o.path, LINKED.has(o.entry.type)), cached: true };
    }
  }
  const lock = cacheable ? await store.lock(`output-${o.key}`) : undefined;
  try {
    if (cacheable) {
      const hit = store.lookup('output', o.key);
      if (hit) return { output: o, files: await deliver(hit.dir, hit.files ?? [], o.path, LINKED.has(o.entry.type)), cached: true };
    }
    const started = Date.now();
    const tmp = store.makeTmp(`output-${o.entry.type}`);
    const label = `output work ${tmp}`;
    shared.cleanup.defer(label, () => rmSync(tmp, { recursive: true, force: true }));
    const workDir = join(tmp, 'work');
    const artefacts = join(tmp, 'files');
    mkdirSync(workDir, { recursive: true });
    mkdirSync(artefacts, { recursive: true });
    mkdirSync(dirname(o.path), { recursive: true });
    const outputPath = cacheable ? join(artefacts, basename(o.path)) : o.path;
    const ctx: OutputContext = {
      config: shared.config,
      configDir: shared.configDir,
      output: o.entry,
      layers: shared.layers,
      openRoot: rootOpener(shared.layers, workDir, shared.cleanup),
      workDir,
      outputPath,
      cleanup: shared.cleanup,
      sourceDateEpoch: shared.sourceDateEpoch,
      store,
    };
    const result: OutputResult = await o.builder.build(ctx as never);
    rmSync(workDir, { recursive: true, force: true });
    if (!cacheable) {
      shared.cleanup.release(label);
      rmSync(tmp, { recursive: true, force: true });
      return { output: o, files: result.files, cached: false };
    }
    const rel = result.files.map((f) => {
      const r = relative(artefacts, f.path);
      if (r.startsWith('..')) throw new InternalError(`output ${o.entry.type} wrote ${f.path} outside its output path`);
      return join('files', r);
    });
    const entry = await store.commit(tmp, { kind: 'output', key: o.key, step: `output:${o.entry.type}`, inputs: o.inputs, created: new Date().toISOString(), seconds: (Date.now() - started) / 1000, files: rel });
    shared.cleanup.release(label);
    const byName = new Map(result.files.map((f) => [basename(f.path), f]));
    const delivered = await deliver(entry.dir, rel, o.path, LINKED.has(o.entry.type), new Map([...byName].map(([n, f]) => [n, f.sha256])));
    return { output: o, files: delivered.map((d) => ({ ...d, sha256: byName.get(basename(d.path))?.sha256 ?? d.sha256 })), cached: false };
  } finally {
    lock?.release();
  }
}

/** Copy (or link) cached artefacts next to the output path (temporary name, then rename). `known`: sha256 by file name. */
async function deliver(entryDir: string, files: readonly string[], outputPath: string, link = false, known: ReadonlyMap<string, string> = new Map()): Promise<OutputFile[]> {
  const out: OutputFile[] = [];
  const destDir = dirname(outputPath);
  mkdirSync(destDir, { recursive: true });
  for (const rel of files) {
    const src = join(entryDir, rel);
    const dest = join(destDir, basename(rel));
    const tmp = join(destDir, `.${basename(rel)}.golden-tmp-${process.pid}`);
    if (statSync(src).isDirectory()) {
      await run('cp', ['-a', '--reflink=auto', src, tmp]);
      if (existsSync(dest)) rmSync(dest, { recursive: true, force: true });
    } else if (!(link && tryLink(src, tmp))) {
      try {
        await run('cp', ['--reflink=auto', '--sparse=always', src, tmp]);
      } catch {
        copyFileSync(src, tmp);
      }
    }
    renameSync(tmp, dest);
    const sha = statSync(dest).isDirectory() ? '' : (known.get(basename(rel)) ?? (await run('sha256sum', [dest])).stdout.split(' ')[0] ?? '');
    out.push({ path: dest, bytes: statSync(dest).size, sha256: sha });
  }
  return out;
}

function tryLink(src: string, dest: string): boolean {
  try {
    rmSync(dest, { force: true });
    linkSync(src, dest);
    return true;
  } catch {
    return false;
  }
}
