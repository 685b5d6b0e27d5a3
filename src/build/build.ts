// `golden build`: load and check everything, then make the layers (base → packages → config → finalize),
// each reused from the cache when its key is known, then the outputs; print a summary and record the
// build for `golden plan` and `cache gc`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../cache/keys.js';
import { CacheStore, resolveCacheDir } from '../cache/store.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { CleanupStack, interruptSignal, throwIfInterrupted } from '../lifecycle.js';
import { formatBytes, log } from '../log/logger.js';
import type { LayerInfo } from '../outputs/types.js';
import { makePlan, type BuildPlan, type PlannedStep } from '../plan/plan.js';
import { aptWorkDirs, sourcesId } from '../steps/apt.js';
import type { BaseOptions } from '../steps/base.js';
import { runConfig, type ConfigOptions } from '../steps/config.js';
import { runFinalize, type FinalizeOptions } from '../steps/finalize.js';
import { runPackages, type PackagesOptions } from '../steps/packages.js';
import type { TreeStepContext } from '../steps/types.js';
import { describeLayer, ensureLayer, type LayerJob } from './layers.js';
import { ensureManifestLayer, writeSbomBeside } from './manifest-layer.js';
import { makeOutput, type OutputRun } from './outputs.js';
import { layerSquashfs, resolveCompression } from '../outputs/squashfs.js';
import { goldenVersion } from '../paths.js';
import { writeRecord } from './record.js';

export interface BuildOptions {
  configPath: string;
  outputDir?: string;
  cacheDir?: string;
}

export interface BuildSummary {
  plan: BuildPlan;
  layers: LayerInfo[];
  steps: { name: string; key: string; cached: boolean; seconds: number }[];
  outputs: OutputRun[];
  seconds: number;
  logFile: string;
}

export async function build(opts: BuildOptions): Promise<BuildSummary> {
  const started = Date.now();
  const loaded = await loadConfig(opts.configPath);
  const store = CacheStore.open(resolveCacheDir(opts.cacheDir));
  const planOpts = opts.outputDir === undefined ? {} : { outputDir: opts.outputDir };
  // everything is checked (outputs, tools, files) before anything changes, the archive included
  let plan = await makePlan(loaded, planOpts);
  if (loaded.config.packages.metapackage) {
    const { publishConfigMetapackage } = await import('./metapackage.js');
    await log.step('metapackage', async () => {
      const m = (await publishConfigMetapackage(loaded.config))!;
      log.event({ event: 'metapackage', ...m });
      return { cached: !m.changed, detail: `${m.name} ${m.version} in ${m.distribution}` };
    });
    plan = await makePlan(loaded, planOpts);
  }
  mkdirSync(plan.outputDir, { recursive: true });
  const logFile = join(plan.outputDir, `${loaded.config.name}.build.log`);
  writeFileSync(logFile, '');
  log.attachFile(logFile);
  log.file(`golden build ${loaded.configPath} (cache ${store.dir})`);
  store.clearStale();

  const cleanup = new CleanupStack();
  const prepack = isoPrepack(plan, loaded.config);
  if (prepack) cleanup.defer('squashfs packing in the background', () => prepack.drain());
  try {
    const layers: LayerInfo[] = [];
    const steps: BuildSummary['steps'] = [];
    for (const step of plan.steps) {
      throwIfInterrupted();
      const t0 = Date.now();
      let cached = false;
      await log.step(step.name, async () => {
        const r = await ensureLayer({
          step,
          below: [...layers],
          ctx: { loaded, config: loaded.config, store, cleanup, sourceDateEpoch: plan.sourceDateEpoch, sourceDateEpochExplicit: plan.sourceDateEpochExplicit },
          ...(preparerFor(step, plan, store) ? { prepare: preparerFor(step, plan, store)! } : {}),
          ...(runnerFor(step) ? { run: runnerFor(step)! } : {}),
        });
        layers.push(r.layer);
        cached = r.cached;
        return { cached: r.cached, detail: describeLayer(r) };
      });
      const seconds = (Date.now() - t0) / 1000;
      steps.push({ name: step.name, key: step.key, cached, seconds });
      log.event({ event: 'layer', step: step.name, key: step.key, cached, seconds });
      if (!cached) prepack?.add(layers.at(-1)!);
    }
    const outputs: OutputRun[] = [];
    // the manifest, resolved config and SBOM travel inside every output, as one small layer on top
    const manifested =
      plan.outputs.length > 0
        ? await log.step('manifest', async () => ensureManifestLayer({ store, config: loaded.config, layers, goldenVersion: goldenVersion(), sourceDateEpoch: plan.sourceDateEpoch }))
        : undefined;
    const outputLayers = manifested ? [...layers, manifested.layer] : layers;
    if (prepack?.busy()) await log.step('layer squashfs (started in the background)', async () => prepack.drain());
    for (const o of plan.outputs) {
      throwIfInterrupted();
      const t0 = Date.now();
      let result: OutputRun | undefined;
      await log.step(`output ${o.entry.type}`, async () => {
        // the manifest layer is part of what an output is made from
        const planned = manifested ? { ...o, key: sha256(`${o.key}+${manifested.layer.key}`) } : o;
        result = await makeOutput(planned, { store, config: loaded.config, configDir: loaded.baseDir, layers: outputLayers, cleanup, sourceDateEpoch: plan.sourceDateEpoch });
        const main = result.files[0];
        if (manifested && main) result.files.push(writeSbomBeside(manifested.manifest, main.path));
        return { cached: result.cached };
      });
      outputs.push(result!);
      log.event({ event: 'output', type: o.entry.type, key: o.key, cached: result!.cached, seconds: (Date.now() - t0) / 1000, files: result!.files });
    }
    writeRecord(store, plan, new Map(steps.map((s) => [s.name, s])));
    const summary: BuildSummary = { plan, layers, steps, outputs, seconds: (Date.now() - started) / 1000, logFile };
    printSummary(summary);
    return summary;
  } finally {
    await cleanup.dispose();
  }
}

/**
 * An ISO packs every layer as its own squashfs, cached beside the layer (outputs/squashfs.ts). The big
 * lower layers are packed in the background as soon as they are made, while the next step runs: the
 * steps are mostly one process at a time (dpkg, mkinitramfs), so mksquashfs gets the idle cores. The ISO
 * output then finds them packed. Only base and packages: the top layers are small, and packing them
 * early would buy nothing. A failure here is only logged: the output packs the layer again and reports.
 */
function isoPrepack(plan: BuildPlan, config: LoadedConfig['config']): { add(layer: LayerInfo): void; busy(): boolean; drain(): Promise<void> } | undefined {
  if (!plan.outputs.some((o) => o.entry.type === 'iso')) return undefined;
  const compression = resolveCompression(config.iso.compression);
  let chain: Promise<void> = Promise.resolve();
  let pending = 0;
  return {
    busy: () => pending > 0,
    add(layer) {
      if (layer.step !== 'base' && layer.step !== 'packages') return;
      pending++;
      chain = chain.then(async () => {
        const t0 = Date.now();
        try {
          if (interruptSignal.aborted) return;
          const sq = await layerSquashfs(layer, compression, plan.sourceDateEpoch);
          log.verbose(`packed the ${layer.step} layer as squashfs in the background (${formatBytes(sq.bytes)}, ${((Date.now() - t0) / 1000).toFixed(1)}s)`);
          log.event({ event: 'prepack', step: layer.step, key: layer.key, cached: sq.cached, bytes: sq.bytes, seconds: (Date.now() - t0) / 1000 });
        } catch (err) {
          log.verbose(`packing the ${layer.step} layer in the background failed (the ISO output will retry): ${(err as Error).message}`);
        } finally {
          pending--;
        }
      });
    },
    drain: () => chain,
  };
}

/** Package and config steps get apt's cache and lists (scripts in the config step may use apt too). */
function preparerFor(step: PlannedStep, plan: BuildPlan, store: CacheStore): LayerJob['prepare'] {
  if (step.name !== 'packages' && step.name !== 'config') return undefined;
  const pk = plan.steps.find((s) => s.name === 'packages')!.options as PackagesOptions;
  const base = plan.steps.find((s) => s.name === 'base')!.options as BaseOptions;
  return (workDir) => aptWorkDirs(store, pk.vendor, pk.repositories, sourcesId(pk.vendor, base.sources, pk.repositories), workDir);
}

function runnerFor(step: PlannedStep): ((ctx: TreeStepContext) => Promise<void>) | undefined {
  switch (step.name) {
    case 'packages':
      return (ctx) => runPackages(ctx as TreeStepContext<PackagesOptions>);
    case 'config':
      return (ctx) => runConfig(ctx as TreeStepContext<ConfigOptions>);
    case 'finalize':
      return (ctx) => runFinalize(ctx as TreeStepContext<FinalizeOptions>);
    default:
      return undefined;
  }
}

function printSummary(s: BuildSummary): void {
  const c = log.colors;
  log.success(`built ${s.plan.loaded.config.name} ${s.plan.loaded.config.version} in ${s.seconds.toFixed(1)}s`);
  for (const st of s.steps) log.info(`  ${st.name.padEnd(9)} ${st.cached ? c.cyan('cached') : `${st.seconds.toFixed(1)}s`}  ${c.dim(st.key.slice(0, 12))}`);
  for (const o of s.outputs) {
    for (const f of o.files) log.info(`  ${o.output.entry.type.padEnd(9)} ${f.path}  ${formatBytes(f.bytes)}${f.sha256 ? `  sha256 ${f.sha256}` : ''}${o.cached ? c.dim(' (cached)') : ''}`);
  }
  log.info(c.dim(`  build log: ${s.logFile}`));
  log.event({ event: 'build-end', seconds: s.seconds, outputs: s.outputs.flatMap((o) => o.files), steps: s.steps });
}

export type { LoadedConfig };
