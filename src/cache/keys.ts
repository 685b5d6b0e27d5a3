// Cache keys. A layer's key is the sha256 of its inputs in canonical form (the osbuild way): the parent
// layer's key, the step's name and format version, its options, and the content hash of every file it
// reads. Two builds with equal inputs share the layer; any change to an input gives a new key, and so a
// new key for every layer above it.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * Bump a step's number when its code changes what it puts in a layer, so layers made by the old code are
 * not reused. Keyed by step name; outputs use `output:TYPE`.
 */
export const STEP_FORMAT_VERSIONS: Readonly<Record<string, number>> = {
  base: 1,
  packages: 1,
  config: 1,
  finalize: 1,
  'output:tar': 1,
  'output:rootfs': 1,
  // 2: the live layer carries its own /etc/fstab; 3: manifest, config and SBOM on the disc (/.disk/golden);
  // 4: the installer payload copies layers with unsquashfs and its report reads deb822 URIs whole
  'output:iso': 4,
};

/** JSON with object keys sorted at every level and no whitespace: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (value === undefined) return 'null';
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Everything a layer's key is made of; kept in the layer's meta.json and the build record for `plan`. */
export interface LayerInputs {
  parent: string | null;
  step: string;
  formatVersion: number;
  options: unknown;
  /** Absolute path (or a name) → sha256 of the content. */
  files: Record<string, string>;
}

export function layerInputs(parentKey: string | null, step: string, options: unknown, fileHashes: Record<string, string>): LayerInputs {
  const formatVersion = STEP_FORMAT_VERSIONS[step] ?? (step.startsWith('output:') ? 1 : undefined);
  if (formatVersion === undefined) throw new Error(`no format version for step ${step}`);
  return { parent: parentKey, step, formatVersion, options, files: fileHashes };
}

/** THE cache key of a layer (or output): sha256 of the canonical JSON of its inputs. */
export function layerKey(parentKey: string | null, step: string, options: unknown, fileHashes: Record<string, string>): string {
  return keyOf(layerInputs(parentKey, step, options, fileHashes));
}

export function keyOf(inputs: LayerInputs): string {
  return sha256(canonicalJson({ golden: 'layer', ...inputs }));
}
