// Config → the build plan: the four layer steps with their inputs and cache keys, and the outputs with
// theirs. Everything that can be checked before a step runs is checked here: output types exist and
// accept the config, host tools are present, input files can be read.
import { statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { hashFile, keyOf, layerInputs, sha256, type LayerInputs } from '../cache/keys.js';
import type { LoadedConfig } from '../config/load.js';
import type { OutputEntry } from '../config/schema.js';
import { UserError } from '../errors.js';
import { requireTools } from '../exec/tools.js';
import { goldenRoot } from '../paths.js';
import { outputBuilder } from '../outputs/registry.js';
import type { OutputBuilder } from '../outputs/types.js';
import { baseInputs, baseTools } from '../steps/base.js';
import { configInputs } from '../steps/config.js';
import { finalizeInputs } from '../steps/finalize.js';
import { packagesInputs } from '../steps/packages.js';
import type { StepInputs, StepName } from '../steps/types.js';

export interface PlannedStep {
  name: StepName;
  options: unknown;
  files: string[];
  inputs: LayerInputs;
  key: string;
}

export interface PlannedOutput {
  entry: OutputEntry;
  builder: OutputBuilder;
  /** Where the artefact goes. */
  path: string;
  inputs: LayerInputs;
  key: string;
}

export interface BuildPlan {
  loaded: LoadedConfig;
  steps: PlannedStep[];
  outputs: PlannedOutput[];
  sourceDateEpoch: number;
  sourceDateEpochExplicit: boolean;
  /** Identifies the config file across builds (build records). */
  configId: string;
  outputDir: string;
}

export interface PlanOptions {
  /** Default: out/ beside the config. */
  outputDir?: string;
  /** Check host tools (build: yes; plan: only report). */
  checkTools?: boolean;
}

/** SOURCE_DATE_EPOCH: the config's, else the environment's, else the config file's modification time. */
export function sourceDateEpochOf(loaded: LoadedConfig): { epoch: number; explicit: boolean } {
  if (loaded.config.sourceDateEpoch !== undefined) return { epoch: loaded.config.sourceDateEpoch, explicit: true };
  const env = process.env['SOURCE_DATE_EPOCH'];
  if (env !== undefined && /^\d+$/.test(env)) return { epoch: Number(env), explicit: true };
  return { epoch: Math.floor(statSync(loaded.configPath).mtimeMs / 1000), explicit: false };
}

async function hashAll(files: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of files) {
    try {
      // Golden's own files are named relative to its installation, so that where Golden is installed
      // (another checkout, an upgrade in place) does not change the keys of the layers they go into
      out[f.startsWith(`${goldenRoot}/`) ? `golden:${relative(goldenRoot, f)}` : f] = await hashFile(f);
    } catch (err) {
      throw new UserError(`cannot read ${f}, an input of the build: ${(err as Error).message}`, { hint: 'check that the file exists and is readable' });
    }
  }
  return out;
}

export function outputFileName(entry: OutputEntry, builder: OutputBuilder, loaded: LoadedConfig): string {
  return builder.defaultFileName(loaded.config, entry as never).replace(/^[^.]*/, entry.name ?? loaded.config.name);
}

export async function makePlan(loaded: LoadedConfig, opts: PlanOptions = {}): Promise<BuildPlan> {
  const config = loaded.config;
  const sde = sourceDateEpochOf(loaded);
  const outputDir = resolve(opts.outputDir ?? join(loaded.baseDir, 'out'));

  const builders: { entry: OutputEntry; builder: OutputBuilder }[] = [];
  for (const entry of config.outputs) builders.push({ entry, builder: await outputBuilder(entry.type) });
  const outputPackages: string[] = [];
  let installedInitramfsExcludes: string[] | undefined;
  const initramfsFiles = new Set<string>();
  const tools = new Set<string>(['setpriv', 'unshare', 'nsenter', 'mount', 'chroot', 'find', 'touch', 'du', 'sync']);
  for (const { entry, builder } of builders) {
    builder.verify?.(entry as never, config);
    outputPackages.push(...(builder.imagePackages?.(entry as never, config) ?? []));
    installedInitramfsExcludes ??= builder.installedInitramfsExcludes?.(entry as never, config);
    for (const f of builder.initramfsFiles?.(entry as never, config) ?? []) initramfsFiles.add(f);
    for (const t of builder.requiredTools(entry as never, config)) tools.add(t);
  }

  const stepInputs: [StepName, StepInputs][] = [
    ['base', baseInputs(config)],
    ['packages', packagesInputs(config, outputPackages, { installedExcludes: installedInitramfsExcludes, files: [...initramfsFiles].sort() })],
    ['config', configInputs(config)],
    ['finalize', finalizeInputs(config)],
  ];
  for (const t of baseTools(stepInputs[0]![1].options as never)) tools.add(t);
  if (opts.checkTools !== false) requireTools([...tools], 'to build this image');

  const steps: PlannedStep[] = [];
  let parent: string | null = null;
  for (const [name, si] of stepInputs) {
    // An explicit SOURCE_DATE_EPOCH is clamped into every layer, so it is an input of every layer.
    const options = sde.explicit ? { ...(si.options as object), sourceDateEpoch: sde.epoch } : si.options;
    const inputs = layerInputs(parent, name, options, await hashAll(si.files));
    const key = keyOf(inputs);
    steps.push({ name, options: si.options, files: si.files, inputs, key });
    parent = key;
  }

  const outputs: PlannedOutput[] = [];
  const seen = new Map<string, number>();
  // outputs may read referenced files no layer reads (iso.additionalFiles, pool lists): their content
  // is an input of every output, so a changed cloud-init user-data is never served from the cache
  const outputFiles = builders.length > 0 ? await hashAll(loaded.referencedFiles.filter((f) => statSync(f, { throwIfNoEntry: false })?.isFile())) : {};
  for (const { entry, builder } of builders) {
    const path = entry.path ? resolve(entry.path) : join(outputDir, outputFileName(entry, builder, loaded));
    const n = seen.get(path) ?? 0;
    seen.set(path, n + 1);
    if (n > 0) throw new UserError(`two outputs would be written to ${path}`, { hint: 'give one of them a different name: or path:' });
    const { path: _p, name: _n, ...options } = entry;
    // Golden's own files the builder puts into the output (the installer's scripts on an ISO): a changed
    // script must not be served from the cache
    const payload = await hashAll(builder.payloadFiles?.(entry as never, config) ?? []);
    const inputs = layerInputs(parent, `output:${entry.type}`, { ...options, fileName: basename(path), sourceDateEpoch: sde.epoch, cmdline: config.kernel.commandLine, config: outputRelevantConfig(loaded) }, { ...outputFiles, ...payload });
    outputs.push({ entry, builder, path, inputs, key: keyOf(inputs) });
  }
  return { loaded, steps, outputs, sourceDateEpoch: sde.epoch, sourceDateEpochExplicit: sde.explicit, configId: sha256(loaded.configPath).slice(0, 16), outputDir };
}

/** Config sections output builders read (besides the layers): a change to them remakes the outputs. */
function outputRelevantConfig(loaded: LoadedConfig): unknown {
  const c = loaded.config;
  return { name: c.name, version: c.version, description: c.description, iso: c.iso, storage: c.storage, installer: c.installer, cloudInit: c.cloudInit, distribution: c.distribution, hostname: c.hostname };
}

export function describeOutputName(p: PlannedOutput): string {
  return `${p.entry.type} ${basename(p.path)}`;
}
