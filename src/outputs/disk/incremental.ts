// A disk rebuild after a small change, in seconds: the root filesystem of the big lower layers (base,
// packages) is made once with mkfs.ext4 -d and kept in the cache as a raw disk; each build copies it
// (sparse), writes the top layers' changes into it with debugfs and remakes only the small filesystems
// (ESP, swap). The root partition is sized for the lower content plus an allowance for the top layers
// that grows in steps (64 MiB, 128 MiB...), so the cached disk fits many rebuilds.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CacheStore } from '../../cache/store.js';
import type { StorageConfig } from '../../config/schema.js';
import { run } from '../../exec/run.js';
import { log } from '../../log/logger.js';
import { MountNamespace } from '../../rootfs/namespace.js';
import type { LayerInfo } from '../types.js';
import { filesystemNeed, makeFilesystem, measureTree, type TreeUsage } from './filesystems.js';
import { MiB, planLayout, type DiskLayout } from './layout.js';
import { writePartitionTable } from './partition-table.js';

/** Bump when the cached lower disk's content or naming changes. */
const LOWER_FORMAT = 1;

/** The layers whose filesystem is cached (up to the packages layer) and the ones applied on top. */
export function splitLayers(layers: LayerInfo[]): { lower: LayerInfo[]; upper: LayerInfo[] } | undefined {
  let idx = layers.findLastIndex((l) => l.step === 'packages');
  if (idx < 0) idx = layers.findIndex((l) => l.step === 'base');
  if (idx < 0) return undefined;
  return { lower: layers.slice(0, idx + 1), upper: layers.slice(idx + 1) };
}

/** The incremental path handles one ext4 root plus partitions remade each time (ESP, swap, BIOS boot). */
export function incrementalLayout(layout: DiskLayout): boolean {
  return layout.partitions.every((p) => (p.mountpoint === '/' ? p.fs === 'ext4' : p.fs === 'none' || p.fs === 'swap' || (p.type === 'esp' && p.fs === 'vfat')));
}

/** The room kept for the top layers: 64 MiB and 16384 inodes, doubled until it holds them twice over. */
export function allowance(upper: TreeUsage): TreeUsage {
  let dataBytes = 64 * MiB;
  while (dataBytes < upper.dataBytes * 2) dataBytes *= 2;
  let inodes = 16384;
  while (inodes < upper.inodes * 2) inodes *= 2;
  return { dataBytes, inodes };
}

const hash = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex');

/** What the lower layers hold outside the other filesystems' mount points, measured once per lower stack. */
async function lowerUsage(store: CacheStore, lower: LayerInfo[], exclude: string[]): Promise<TreeUsage> {
  const key = hash({ what: 'disk-lower-usage', v: LOWER_FORMAT, layers: lower.map((l) => l.key), exclude });
  const hit = store.lookup('output', key);
  if (hit) return JSON.parse(readFileSync(join(hit.dir, 'usage.json'), 'utf8')) as TreeUsage;
  const ns = await MountNamespace.open({ layers: lower.map((l) => l.dir), label: 'disk lower layers' });
  let usage: TreeUsage;
  try {
    usage = measureTree(ns.root, new Set(exclude.map((e) => join(ns.root, e))));
  } finally {
    await ns.close();
  }
  const tmp = store.makeTmp('disk-lower-usage');
  writeFileSync(join(tmp, 'usage.json'), JSON.stringify(usage));
  await store.commit(tmp, { kind: 'output', key, step: 'output:disk-lower', inputs: { parent: lower.at(-1)!.key, step: 'output:disk-lower', formatVersion: LOWER_FORMAT, options: { exclude }, files: {} }, created: new Date().toISOString(), seconds: 0, files: ['usage.json'] });
  return usage;
}

export interface LowerDiskInput {
  store: CacheStore;
  storage: StorageConfig;
  lower: LayerInfo[];
  /** Seed of the disk's identifiers: the lower layers and the image name, so rebuilds keep them. */
  seed: string;
  /** Relative mount points of the other filesystems. */
  exclude: string[];
  /** What the top layers (and the output's own files) hold. */
  upper: TreeUsage;
  /** Bytes the other mounted partitions need (label → bytes). */
  otherNeeds: Record<string, number>;
  sourceDateEpoch: number;
}

/** The layout and the cached raw disk (partition table + root ext4 of the lower layers), made if missing. */
export async function lowerDisk(o: LowerDiskInput): Promise<{ layout: DiskLayout; raw: string; cached: boolean }> {
  const base = await lowerUsage(o.store, o.lower, o.exclude);
  const extra = allowance(o.upper);
  const rootNeed = filesystemNeed('ext4', { dataBytes: base.dataBytes + extra.dataBytes, inodes: base.inodes + extra.inodes });
  const probe = planLayout({ storage: o.storage, needs: {}, seed: o.seed });
  const rootLabel = probe.partitions.find((p) => p.mountpoint === '/')!.label;
  const layout = planLayout({ storage: o.storage, needs: { ...o.otherNeeds, [rootLabel]: rootNeed }, seed: o.seed });
  const key = hash({ what: 'disk-lower', v: LOWER_FORMAT, layers: o.lower.map((l) => l.key), layout, exclude: o.exclude, epoch: o.sourceDateEpoch });
  const path = (dir: string) => join(dir, 'lower.raw');
  const hit = o.store.lookup('output', key);
  if (hit && existsSync(path(hit.dir))) return { layout, raw: path(hit.dir), cached: true };
  const lock = await o.store.lock(`disk-lower-${key}`);
  try {
    const again = o.store.lookup('output', key);
    if (again && existsSync(path(again.dir))) return { layout, raw: path(again.dir), cached: true };
    const started = Date.now();
    const tmp = o.store.makeTmp('disk-lower');
    const raw = path(tmp);
    closeSync(openSync(raw, 'w'));
    truncateSync(raw, layout.totalBytes);
    await writePartitionTable(raw, layout);
    const mountpoint = join(tmp, 'mnt');
    mkdirSync(mountpoint);
    const ns = await MountNamespace.open({ layers: o.lower.map((l) => l.dir), mountpoint, label: 'disk lower layers' });
    try {
      // the other filesystems' contents stay out of the root filesystem, as in a full build
      for (const e of o.exclude) {
        if (!existsSync(join(ns.root, e))) continue;
        await ns.run('mount', ['-t', 'tmpfs', '-o', 'mode=0755,size=1M', 'golden-hidden', join(mountpoint, e)], { purpose: `hide /${e} from the root filesystem` });
      }
      const root = layout.partitions.find((p) => p.mountpoint === '/')!;
      await makeFilesystem({ part: root, source: mountpoint, hostSource: ns.root, image: raw, workDir: tmp, ns, sourceDateEpoch: o.sourceDateEpoch });
    } finally {
      await ns.close();
    }
    await run('rmdir', [mountpoint]);
    const entry = await o.store.commit(tmp, {
      kind: 'output',
      key,
      step: 'output:disk-lower',
      inputs: { parent: o.lower.at(-1)!.key, step: 'output:disk-lower', formatVersion: LOWER_FORMAT, options: { layout, exclude: o.exclude }, files: {} },
      created: new Date().toISOString(),
      seconds: (Date.now() - started) / 1000,
      files: ['lower.raw'],
    });
    log.verbose(`cached the root filesystem of the lower layers (${o.lower.map((l) => l.step).join(', ')})`);
    return { layout, raw: path(entry.dir), cached: false };
  } finally {
    lock.release();
  }
}
