// Output type name → builder module, imported only when a config asks for that type.
import type { OutputType } from '../config/schema.js';
import { UsageError } from '../errors.js';
import type { OutputBuilder } from './types.js';

type Loader = () => Promise<OutputBuilder<any>>;

const loaders: Partial<Record<OutputType, Loader>> = {
  // each output module registers itself here with one line, e.g.
  // tar: async () => (await import('./tar.js')).tarOutput,
  iso: async () => (await import('./iso/index.js')).isoOutput,
  raw: async () => (await import('./disk/outputs.js')).rawOutput,
  qcow2: async () => (await import('./disk/outputs.js')).qcow2Output,
  vmdk: async () => (await import('./disk/outputs.js')).vmdkOutput,
  vhd: async () => (await import('./disk/outputs.js')).vhdOutput,
  vhdx: async () => (await import('./disk/outputs.js')).vhdxOutput,
  oci: async () => (await import('./oci/output.js')).ociOutput,
  rootfs: async () => (await import('./rootfs-dir.js')).rootfsOutput,
  tar: async () => (await import('./tar.js')).tarOutput,
};

export function availableOutputTypes(): OutputType[] {
  return Object.keys(loaders) as OutputType[];
}

export async function outputBuilder(type: OutputType): Promise<OutputBuilder<any>> {
  const load = loaders[type];
  if (!load) {
    throw new UsageError(`the output type "${type}" is not available in this version of Golden`, {
      hint: `available output types: ${availableOutputTypes().join(', ') || '(none yet)'}`,
    });
  }
  return load();
}
