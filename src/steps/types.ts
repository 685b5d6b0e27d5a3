// What every step gets and gives. A step turns the layers below it (mounted read-only, plus a fresh upper
// directory) into a new layer; it never sees the cache or the other steps.
import type { LoadedConfig } from '../config/load.js';
import type { GoldenConfig } from '../config/schema.js';
import type { CacheStore } from '../cache/store.js';
import type { CleanupStack } from '../lifecycle.js';
import type { ImageRoot } from '../rootfs/chroot.js';

export const STEP_NAMES = ['base', 'packages', 'config', 'finalize'] as const;
export type StepName = (typeof STEP_NAMES)[number];

/** A step's inputs, decided by the plan: `options` is canonical data, `files` are hashed into the key. */
export interface StepInputs<O = unknown> {
  options: O;
  /** Absolute paths on the build machine whose content the step reads. */
  files: string[];
}

export interface StepContext<O = unknown> {
  loaded: LoadedConfig;
  config: GoldenConfig;
  options: O;
  store: CacheStore;
  cleanup: CleanupStack;
  /** Timestamps newer than this are clamped when the layer is captured. */
  sourceDateEpoch: number;
  /** Whether SOURCE_DATE_EPOCH was given (then tools that honour it get it too). */
  sourceDateEpochExplicit: boolean;
}

/** Steps that run on the merged tree of the layers below (all but base). */
export interface TreeStepContext<O = unknown> extends StepContext<O> {
  root: ImageRoot;
  /** The upper directory being made: what the step changed (read it, never write through it). */
  upper: string;
}
