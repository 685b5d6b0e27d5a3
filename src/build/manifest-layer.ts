// Every image carries its manifest (packages, layer digests, Golden version) and resolved config, and
// every output gets an SBOM beside it. The files go into one small extra layer on top of the stack, kept
// in the cache like any layer, so outputs (ISO squashfs layers, disks, OCI layers) pick it up unchanged.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import type { CacheStore } from '../cache/store.js';
import type { GoldenConfig } from '../config/schema.js';
import { buildManifest, manifestFiles, manifestSbom, sbomPathBeside, type Manifest } from '../manifest/manifest.js';
import { treeDigest } from '../manifest/tree-digest.js';
import type { LayerInfo, OutputFile } from '../outputs/types.js';
import { MountNamespace } from '../rootfs/namespace.js';
import { clampTimestamps } from '../steps/upper.js';

/** A cached layer never changes, so its digest is computed once and kept beside its tree. */
function layerDigest(layer: LayerInfo): string {
  const memo = join(dirname(layer.dir), 'tree.sha256');
  if (existsSync(memo)) return readFileSync(memo, 'utf8').trim();
  const digest = treeDigest(layer.dir);
  const tmp = `${memo}.${process.pid}.tmp`;
  writeFileSync(tmp, `${digest}\n`);
  renameSync(tmp, memo);
  return digest;
}

export interface ManifestLayer {
  layer: LayerInfo;
  manifest: Manifest;
}

export async function ensureManifestLayer(opts: { store: CacheStore; config: GoldenConfig; layers: LayerInfo[]; goldenVersion: string; sourceDateEpoch: number }): Promise<ManifestLayer> {
  const { store, config, layers } = opts;
  const ns = await MountNamespace.open({ layers: layers.map((l) => l.dir), label: 'manifest' });
  let manifest: Manifest;
  try {
    manifest = await buildManifest({
      config,
      layers: layers.map((l) => ({ ...l, sha256: layerDigest(l) })),
      rootDir: ns.root,
      goldenVersion: opts.goldenVersion,
      sourceDateEpoch: opts.sourceDateEpoch,
    });
  } finally {
    await ns.close();
  }
  const files = manifestFiles(manifest, stringify(config), 'image');
  const key = createHash('sha256').update(JSON.stringify(['manifest', 1, files])).digest('hex');
  const hit = store.lookup('layer', key);
  if (hit) return { layer: { step: 'manifest', key, dir: join(hit.dir, 'tree') }, manifest };
  const tmp = store.makeTmp('manifest');
  const tree = join(tmp, 'tree');
  for (const f of files) {
    const path = join(tree, f.path);
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    writeFileSync(path, f.content, { mode: 0o644 });
  }
  await clampTimestamps(tree, opts.sourceDateEpoch);
  const entry = await store.commit(tmp, {
    kind: 'layer',
    key,
    step: 'manifest',
    inputs: { parent: layers.at(-1)?.key ?? null, step: 'manifest', formatVersion: 1, options: {}, files: {} },
    created: new Date().toISOString(),
    seconds: 0,
  });
  return { layer: { step: 'manifest', key, dir: join(entry.dir, 'tree') }, manifest };
}

/** Write the SBOM beside an output's main artefact (temporary name, then rename); returns its file entry. */
export function writeSbomBeside(manifest: Manifest, artefact: string): OutputFile {
  const path = sbomPathBeside(artefact);
  const content = `${JSON.stringify(manifestSbom(manifest), null, 2)}\n`;
  const tmp = `${path}.golden-tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
  return { path, bytes: statSync(path).size, sha256: createHash('sha256').update(content).digest('hex') };
}
