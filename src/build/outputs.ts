// Making the outputs from the layer stack. Each output is cached by key like a layer (except a rootfs
// directory, which would only double the disk space): a rebuild with unchanged inputs copies the stored
// artefact. An artefact appears at its final path only complete (temporary name, then rename).
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import type { CacheStore } from '../cache/store.js';
import type { GoldenConfig } from '../config/schema.js';
import { InternalError } from '../errors.js';
import { run } from '../exec/run.js';
import type { CleanupStack } from '../lifecycle.js';
import type { LayerInfo, OutputContext, OutputFile, OutputResult } from '../outputs/types.js';
import type { PlannedOutput } from '../plan/plan.js';
import { MountNamespace } from '../rootfs/namespace.js';

/** Output types not worth keeping in the cache. */
const UNCACHED = new Set(['rootfs']);

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
      return { output: o, files: await deliver(hit.dir, hit.files ?? [], o.path), cached: true };
    }
  }
  const lock = cacheable ? await store.lock(`output-${o.key}`) : undefined;
  try {
    if (cacheable) {
      const hit = store.lookup('output', o.key);
      if (hit) return { output: o, files: await deliver(hit.dir, hit.files ?? [], o.path), cached: true };
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
    const delivered = await deliver(entry.dir, rel, o.path);
    const byName = new Map(result.files.map((f) => [basename(f.path), f]));
    return { output: o, files: delivered.map((d) => ({ ...d, sha256: byName.get(basename(d.path))?.sha256 ?? d.sha256 })), cached: false };
  } finally {
    lock?.release();
  }
}

/** Copy cached artefacts next to the output path (temporary name, then rename). */
async function deliver(entryDir: string, files: readonly string[], outputPath: string): Promise<OutputFile[]> {
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
    } else {
      try {
        await run('cp', ['--reflink=auto', '--sparse=always', src, tmp]);
      } catch {
        copyFileSync(src, tmp);
      }
    }
    renameSync(tmp, dest);
    const sha = statSync(dest).isDirectory() ? '' : (await run('sha256sum', [dest])).stdout.split(' ')[0] ?? '';
    out.push({ path: dest, bytes: statSync(dest).size, sha256: sha });
  }
  return out;
}
