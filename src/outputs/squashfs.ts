// One squashfs per image layer. Each layer's overlayfs upper directory is packed as it is: whiteouts
// (0/0 character devices) and opaque-directory xattrs keep their meaning when live-boot stacks the
// squashfs files as overlay lower layers, so the stack boots as the merged tree. The result is cached
// by (layer key, compression), which is what makes a rebuild after a config change re-compress only
// the small top layer.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import type { IsoCompression } from '../config/schema.js';
import { run } from '../exec/run.js';

export interface SquashfsCompression {
  algorithm: 'xz' | 'zstd' | 'gzip' | 'lzo' | 'lz4';
  level?: number;
}

/** The presets of iso.compression: "fast" for iteration, "small" for release. */
export function resolveCompression(c: IsoCompression): SquashfsCompression {
  if (c === 'fast') return { algorithm: 'zstd', level: 3 };
  if (c === 'small') return { algorithm: 'xz' };
  return c.level === undefined ? { algorithm: c.algorithm } : { algorithm: c.algorithm, level: c.level };
}

/** A short stable name of a compression setting, part of the squashfs cache key. */
export function compressionTag(c: SquashfsCompression): string {
  // "xz2": plain xz with 128 KiB blocks (until 2026-12 xz meant BCJ and 1 MiB blocks; those files are not reused)
  const name = c.algorithm === 'xz' ? 'xz2' : c.algorithm;
  return c.level === undefined ? name : `${name}-${c.level}`;
}

/** mksquashfs arguments (after SOURCE DEST) for a compression setting. */
export function mksquashfsArgs(c: SquashfsCompression, processors = cpus().length): string[] {
  const args = ['-noappend', '-no-progress', '-quiet', '-comp', c.algorithm];
  if (c.level !== undefined) {
    if (c.algorithm === 'zstd' || c.algorithm === 'gzip') args.push('-Xcompression-level', String(c.level));
    else if (c.algorithm === 'lz4' && c.level > 1) args.push('-Xhc');
  }
  // xz as live-build packs it (default 128 KiB blocks, no BCJ filter). BCJ with 1 MiB blocks made a
  // 666 MB layer 7% smaller (206 vs 222 MB) but took 3.2x as long (432 vs 135 s), and bigger blocks cost
  // reads at boot under emulation.
  args.push('-processors', String(Math.max(1, processors)));
  return args;
}

export interface BuildSquashfsOptions {
  source: string;
  dest: string;
  compression: SquashfsCompression;
  sourceDateEpoch: number;
  /** Run mksquashfs through this (e.g. a mount namespace that sees the source tree). */
  runner?: typeof run;
}

/** Pack a directory; the file appears atomically at dest. */
export async function buildSquashfs(opts: BuildSquashfsOptions): Promise<void> {
  const tmp = `${opts.dest}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  try {
    await (opts.runner ?? run)('mksquashfs', [opts.source, tmp, ...mksquashfsArgs(opts.compression)], {
      purpose: `packing ${opts.source} as squashfs`,
      // mksquashfs sets the filesystem time and clamps file times to it (and refuses -mkfs-time with it)
      env: { SOURCE_DATE_EPOCH: String(opts.sourceDateEpoch) },
    });
    renameSync(tmp, opts.dest);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * The build cache a layer lives in: layers are kept as CACHE/layers/KEY/tree (cache/store.ts). For a
 * layer from elsewhere, $GOLDEN_CACHE or the default cache directory.
 */
export function cacheRootOf(layerDir: string): string {
  const m = /^(.*)\/layers\/[^/]+\/tree\/?$/.exec(layerDir);
  return m ? m[1]! : (process.env['GOLDEN_CACHE'] ?? '/var/cache/golden');
}

/**
 * Where a layer's squashfs is kept: beside the layer's tree in its cache entry (so `cache gc` removes
 * both together), else in CACHE/squashfs/. The key is the layer key and the compression, not the
 * build's SOURCE_DATE_EPOCH: without an explicit one the epoch is the config file's date, and editing
 * golden.yaml must not re-pack every layer. An explicit SOURCE_DATE_EPOCH is already part of every
 * layer key, so byte-identical rebuilds still hold.
 */
export function squashfsCachePath(layer: { key: string; dir: string }, compression: SquashfsCompression): string {
  const name = `squashfs-${compressionTag(compression)}.squashfs`;
  if (/\/layers\/[^/]+\/tree\/?$/.test(layer.dir) && existsSync(join(dirname(layer.dir), 'meta.json'))) return join(dirname(layer.dir), name);
  const id = createHash('sha256').update(JSON.stringify([layer.key, compressionTag(compression)])).digest('hex').slice(0, 32);
  return join(cacheRootOf(layer.dir), 'squashfs', `${id}.squashfs`);
}

export interface CachedSquashfs {
  path: string;
  bytes: number;
  cached: boolean;
}

/** The squashfs of one layer, packed once per (layer key, compression); `sourceDateEpoch` stamps a new one. */
export async function layerSquashfs(layer: { key: string; dir: string }, compression: SquashfsCompression, sourceDateEpoch: number): Promise<CachedSquashfs> {
  const path = squashfsCachePath(layer, compression);
  mkdirSync(dirname(path), { recursive: true });
  if (existsSync(path)) return { path, bytes: statSync(path).size, cached: true };
  await buildSquashfs({ source: layer.dir, dest: path, compression, sourceDateEpoch });
  return { path, bytes: statSync(path).size, cached: false };
}
