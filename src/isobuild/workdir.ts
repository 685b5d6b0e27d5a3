// The isobuild work directory: the state the seven steps share, laid out like Ubuntu's isobuild
// (config.json, apt-state/, boot-stuff/, iso-root/) plus the one-time signing key. `golden build`
// uses the same directory shape inside its scratch space, so both run the same code.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.js';

export const STEP_ORDER = ['init', 'setup-apt', 'generate-pool', 'generate-sources', 'add-live-filesystem', 'make-bootable', 'make-iso'] as const;
export type StepName = (typeof STEP_ORDER)[number];

/** Which step must have run before each one. */
export const STEP_NEEDS: Record<StepName, StepName[]> = {
  init: [],
  'setup-apt': ['init'],
  'generate-pool': ['setup-apt'],
  'generate-sources': ['generate-pool'],
  'add-live-filesystem': ['init'],
  'make-bootable': ['add-live-filesystem'],
  'make-iso': ['make-bootable'],
};

export interface WorkState {
  format: 1;
  vendor: 'debian' | 'ubuntu';
  series: string;
  arch: string;
  /** The .disk/info line. */
  diskInfo: string;
  capProject: string;
  version: string;
  official: boolean;
  sourceDateEpoch: number;
  /** Suite name of the pool on the disc (its dists/ directory). */
  poolSuite: string;
  /** The initrd's medium mount point, the default for generate-sources. */
  mountpoint: string;
  /** Steps done, in the order they ran. */
  done: StepName[];
  /** Layer files in the live directory, base first (add-live-filesystem). */
  layers?: string[];
}

export interface WorkDir {
  root: string;
  statePath: string;
  keyPath: string;
  publicKeyPath: string;
  aptState: string;
  bootStuff: string;
  isoRoot: string;
}

export function workDirPaths(dir: string): WorkDir {
  const root = resolve(dir);
  return {
    root,
    statePath: join(root, 'config.json'),
    keyPath: join(root, 'gpg-home', 'signing-key.asc'),
    publicKeyPath: join(root, 'gpg-home', 'signing-key.pub.asc'),
    aptState: join(root, 'apt-state'),
    bootStuff: join(root, 'boot-stuff'),
    isoRoot: join(root, 'iso-root'),
  };
}

export function loadWorkState(w: WorkDir): WorkState | undefined {
  if (!existsSync(w.statePath)) return undefined;
  return JSON.parse(readFileSync(w.statePath, 'utf8')) as WorkState;
}

export function saveWorkState(w: WorkDir, state: WorkState): void {
  mkdirSync(w.root, { recursive: true });
  const tmp = `${w.statePath}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, w.statePath);
}

export function markDone(w: WorkDir, state: WorkState, step: StepName): void {
  if (!state.done.includes(step)) state.done.push(step);
  saveWorkState(w, state);
}

/** The state for `step`, or a clear error naming the step that must run first. */
export function stateFor(w: WorkDir, step: StepName): WorkState {
  const state = loadWorkState(w);
  if (!state) {
    throw new UserError(`${step}: ${w.root} is not an ISO work directory yet`, {
      hint: `run the init step first: golden iso --work-dir ${w.root} init --disk-id ... --series ... --arch ...`,
    });
  }
  for (const need of STEP_NEEDS[step]) {
    if (!state.done.includes(need)) {
      throw new UserError(`${step} must come after ${need}, which has not run in ${w.root}`, {
        hint: `run it first: golden iso --work-dir ${w.root} ${need} ...`,
      });
    }
  }
  return state;
}
