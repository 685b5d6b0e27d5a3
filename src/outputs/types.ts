// The contract between the build (which makes the layer stack) and each output type (which turns the
// stack into an artefact). One module per output type implements OutputBuilder; outputs/registry.ts
// maps type names to them, loaded lazily.
import type { GoldenConfig, OutputEntry, OutputOf, OutputType } from '../config/schema.js';
import type { CacheStore } from '../cache/store.js';
import type { CleanupStack } from '../lifecycle.js';
import type { MountNamespace } from '../rootfs/namespace.js';

/** One cached layer of the image. `dir` is an overlayfs upper directory (whiteouts included); the base layer's dir is a full tree. */
export interface LayerInfo {
  /** The step that made it: base, packages, config, finalize, or an output's own layer. */
  step: string;
  /** Its cache key (sha256 hex). */
  key: string;
  dir: string;
}

export interface OutputContext<T extends OutputType = OutputType> {
  config: GoldenConfig;
  /** Directory of the main config file (relative output paths resolve against it). */
  configDir: string;
  output: OutputOf<T>;
  /** The image's layers, base first. */
  layers: LayerInfo[];
  /**
   * Mount the merged image tree in a private namespace, writable through a throwaway upper directory
   * (changes never reach the cache). The caller closes it (or registers it on `cleanup`).
   */
  openRoot(opts?: { chrootMounts?: boolean; extraLayers?: string[] }): Promise<MountNamespace>;
  /** Scratch directory for this output, removed afterwards. */
  workDir: string;
  /** Where the artefact must appear. Write to a temporary name beside it and rename at the end. */
  outputPath: string;
  cleanup: CleanupStack;
  /** Timestamps in the artefact are clamped to this. */
  sourceDateEpoch: number;
  /** The build's cache, for outputs that keep intermediate results (disk images keep the lower layers' filesystem). */
  store?: CacheStore;
}

export interface OutputFile {
  path: string;
  bytes: number;
  sha256: string;
}

export interface OutputResult {
  files: OutputFile[];
}

export interface OutputBuilder<T extends OutputType = OutputType> {
  type: T;
  /** Default file name (without directory) for this output of config `name`. */
  defaultFileName(config: GoldenConfig, output: OutputOf<T>): string;
  /** Host tools this output needs; checked before the build starts. */
  requiredTools(output: OutputOf<T>, config: GoldenConfig): string[];
  /** Packages the image must contain for this output (e.g. a kernel and boot loader for disks). */
  imagePackages?(output: OutputOf<T>, config: GoldenConfig): string[];
  /**
   * When the image carries an installer: the live-only initramfs-tools files (relative to
   * /usr/share/initramfs-tools) to leave out of the installed system's initramfs, which the packages
   * step then builds beside the live one. Undefined: no installed-system initramfs is needed.
   */
  installedInitramfsExcludes?(output: OutputOf<T>, config: GoldenConfig): string[] | undefined;
  /**
   * initramfs-tools hooks and boot scripts (Golden source files, relative to src/) the packages step
   * installs into the image's /etc/initramfs-tools before it builds the initramfs (see
   * initramfsFileDestination in steps/packages.ts).
   */
  initramfsFiles?(output: OutputOf<T>, config: GoldenConfig): string[];
  /** Golden's own files (payload scripts) this output copies into what it makes; hashed into its cache key. */
  payloadFiles?(output: OutputOf<T>, config: GoldenConfig): string[];
  /** Further checks of the config for this output, before anything runs; throw InputError/UserError. */
  verify?(output: OutputOf<T>, config: GoldenConfig): void;
  build(ctx: OutputContext<T>): Promise<OutputResult>;
}

export type AnyOutputEntry = OutputEntry;
