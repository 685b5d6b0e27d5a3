// Making one layer: reuse it from the cache, or (holding the key's lock, so two builds never make the
// same layer twice) run its step in a work directory and commit the result atomically.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CacheEntry, CacheStore } from '../cache/store.js';
import { UserError } from '../errors.js';
import type { LayerInfo } from '../outputs/types.js';
import type { PlannedStep } from '../plan/plan.js';
import { ImageRoot, type BindMount } from '../rootfs/chroot.js';
import { runBase, type BaseOptions } from '../steps/base.js';
import type { StepContext, TreeStepContext } from '../steps/types.js';
import { clampTimestamps } from '../steps/upper.js';

export interface LayerResult {
  layer: LayerInfo;
  cached: boolean;
  /** Another build made it while this one waited for the lock. */
  waited: boolean;
  entry: CacheEntry;
}

export interface LayerJob {
  step: PlannedStep;
  /** Layers below, base first. */
  below: LayerInfo[];
  ctx: Omit<StepContext, 'options'>;
  /** Mounts the step needs, made in its work directory; `harvest` runs after the step succeeded. */
  prepare?: (workDir: string) => { binds: BindMount[]; harvest?: () => void };
  /** For all steps but base: what the step does on the mounted tree. */
  run?: (ctx: TreeStepContext) => Promise<void>;
}

function reuse(store: CacheStore, step: PlannedStep, waited: boolean): LayerResult | undefined {
  const entry = store.lookup('layer', step.key);
  if (!entry) return undefined;
  store.touch('layer', step.key);
  return { layer: { step: step.name, key: step.key, dir: join(entry.dir, 'tree') }, cached: true, waited, entry };
}

export async function ensureLayer(job: LayerJob): Promise<LayerResult> {
  const { store } = job.ctx;
  const hit = reuse(store, job.step, false);
  if (hit) return hit;
  const lock = await store.lock(job.step.key);
  try {
    const after = reuse(store, job.step, true);
    if (after) return after;
    const started = Date.now();
    const tmp = store.makeTmp(job.step.name);
    const cleanupLabel = `work directory ${tmp}`;
    job.ctx.cleanup.defer(cleanupLabel, () => rmSync(tmp, { recursive: true, force: true }));
    try {
      await runStep(job, tmp);
    } catch (err) {
      throw stepFailed(job.step.name, err);
    }
    await clampTimestamps(join(tmp, 'tree'), job.ctx.sourceDateEpoch);
    rmSync(join(tmp, 'work'), { recursive: true, force: true });
    rmSync(join(tmp, 'mnt'), { recursive: true, force: true });
    rmSync(join(tmp, 'scratch'), { recursive: true, force: true });
    const entry = await store.commit(tmp, {
      kind: 'layer',
      key: job.step.key,
      step: job.step.name,
      inputs: job.step.inputs,
      created: new Date().toISOString(),
      seconds: (Date.now() - started) / 1000,
    });
    job.ctx.cleanup.release(cleanupLabel);
    return { layer: { step: job.step.name, key: job.step.key, dir: join(entry.dir, 'tree') }, cached: false, waited: false, entry };
  } finally {
    lock.release();
  }
}

async function runStep(job: LayerJob, tmp: string): Promise<void> {
  if (job.step.name === 'base') {
    await runBase({ ...job.ctx, options: job.step.options as BaseOptions }, join(tmp, 'tree'));
    return;
  }
  if (!job.run) throw new Error(`step ${job.step.name} has nothing to run`);
  const prepared = job.prepare?.(join(tmp, 'scratch'));
  const root = await ImageRoot.open({
    layers: job.below.map((l) => l.dir),
    upper: join(tmp, 'tree'),
    work: join(tmp, 'work'),
    mountpoint: join(tmp, 'mnt'),
    binds: prepared?.binds ?? [],
    label: job.step.name,
  });
  const label = `${job.step.name} namespace`;
  job.ctx.cleanup.defer(label, () => root.close());
  try {
    await job.run({ ...job.ctx, options: job.step.options, root, upper: join(tmp, 'tree') });
    root.unguard();
  } finally {
    await root.close();
    job.ctx.cleanup.release(label);
  }
  prepared?.harvest?.();
}

function stepFailed(step: string, err: unknown): unknown {
  if (!(err instanceof UserError) || err.name === 'InterruptedError') return err;
  const e = new UserError(`the ${step} step failed: ${err.message}`, { hint: err.hint ?? 'the build log has the full output of every command', exitCode: err.exitCode, cause: err });
  return e;
}

export function describeLayer(r: LayerResult): string {
  const size = r.entry.bytes;
  const mib = (size / 1048576).toFixed(1);
  return `${r.layer.key.slice(0, 12)} ${mib} MiB${r.waited ? ' (made by another build meanwhile)' : ''}`;
}

