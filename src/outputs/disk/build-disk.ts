// Turns the merged image tree into a partitioned, bootable disk image with no loop device and no mount
// of an image file: plan the layout, write the partition table into a sparse file, make each
// filesystem from its directory at its offset, write GRUB's BIOS stage by hand, convert the format.
// With a cache and a plain layout (one ext4 root), the root filesystem of the lower layers comes from
// the cache and only the top layers are written into it (incremental.ts, ext4-delta.ts).
import { closeSync, mkdirSync, openSync, truncateSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { run } from '../../exec/run.js';
import { formatBytes, log } from '../../log/logger.js';
import { MountNamespace } from '../../rootfs/namespace.js';
import { makeSeedDisk, seedFiles } from '../cloud-init-seed.js';
import type { LayerInfo, OutputContext, OutputFile, OutputResult } from '../types.js';
import { BackgroundRemoval, moveInto, outputFile } from './artefact.js';
import { writeBiosStage } from './bios-boot.js';
import { convertImage, type DiskFormat } from './convert.js';
import { applyDelta, DeltaUnsupported, ext4Delta } from './ext4-delta.js';
import { filesystemNeed, makeFilesystem, measureTree, placeAt, type TreeUsage } from './filesystems.js';
import { makeCoreImage } from './grub.js';
import { setupImageTree } from './image-setup.js';
import { incrementalLayout, lowerDisk, splitLayers } from './incremental.js';
import { checkStorage, planLayout, SECTOR, type DiskLayout } from './layout.js';
import { writePartitionTable } from './partition-table.js';

export async function buildDisk(ctx: OutputContext<DiskFormat>, format: DiskFormat): Promise<OutputResult> {
  const { config } = ctx;
  checkStorage(config.storage);
  const split = splitLayers(ctx.layers);
  const wanted = ctx.store && split && process.env['GOLDEN_DISK_INCREMENTAL'] !== '0' && incrementalLayout(planLayout({ storage: config.storage, needs: {}, seed: '' }));
  let made: Made | undefined;
  if (wanted) {
    try {
      made = await incrementalRaw(ctx, split.lower, split.upper);
    } catch (err) {
      if (!(err instanceof DeltaUnsupported)) throw err;
      log.verbose(`making the root filesystem whole: ${err.message}`);
    }
  }
  made ??= await fullRaw(ctx);
  const { raw } = made;
  const files: OutputFile[] = [];
  await log.step(`Writing ${format} ${basename(ctx.outputPath)}`, async () => {
    const t0 = Date.now();
    const later = new BackgroundRemoval();
    if (format === 'raw') await moveInto(raw, ctx.outputPath, ctx.workDir, later);
    else await convertImage(raw, ctx.outputPath, format, ctx.output, ctx.workDir, later);
    const t1 = Date.now();
    files.push(await outputFile(ctx.outputPath));
    await later.settled();
    return { detail: `${formatBytes(files[0]!.bytes)} (${format === 'raw' ? 'moving' : 'converting'} ${((t1 - t0) / 1000).toFixed(1)}s, sha256 ${((Date.now() - t1) / 1000).toFixed(1)}s)` };
  });
  await made.closed;
  if (config.cloudInit && config.cloudInit.placement === 'seed-disk') {
    const seedPath = join(dirname(ctx.outputPath), `${basename(ctx.outputPath, extname(ctx.outputPath))}-seed.img`);
    await log.step('Making the cloud-init seed disk', async () => {
      await makeSeedDisk(seedPath, seedFiles(config, config.cloudInit!), ctx.workDir);
    });
    files.push(await outputFile(seedPath));
  }
  return { files };
}

/**
 * The raw disk, and the closing of the namespace it was made in: tearing a namespace down waits until
 * the kernel has reaped it, which overlaps with the conversion.
 */
interface Made {
  raw: string;
  closed: Promise<void>;
}

/** The root tree of the image with a disk's files added (fstab, GRUB, grow-root, seed). */
function prepareTree(ctx: OutputContext<DiskFormat>, root: string, layout: DiskLayout): Promise<string | undefined> {
  return log.step('Preparing the image tree for a disk', async () => setupImageTree({ root, config: ctx.config, layout, seedInImage: ctx.config.cloudInit?.placement !== 'seed-disk' }));
}

async function biosStage(ctx: OutputContext<DiskFormat>, raw: string, layout: DiskLayout, moduleDir: string | undefined): Promise<void> {
  if (ctx.config.storage.bootType === 'efi' || !moduleDir) return;
  await log.step('Writing the GRUB BIOS boot stage', async () => {
    const { boot, core } = await makeCoreImage(moduleDir, layout, ctx.workDir);
    const biosPart = layout.partitions.find((p) => p.type === 'bios-boot');
    const start = biosPart ? biosPart.offset / SECTOR : 1;
    const room = biosPart ? biosPart.size / SECTOR : layout.partitions[0]!.offset / SECTOR - 1;
    writeBiosStage(raw, boot, core, start, room);
  });
}

/** Every filesystem made whole from the merged tree. */
async function fullRaw(ctx: OutputContext<DiskFormat>): Promise<Made> {
  const storage = ctx.config.storage;
  const seed = `${ctx.layers.map((l) => l.key).join('/')}\0${ctx.config.name}`;
  const ns = await ctx.openRoot();
  ctx.cleanup.defer('close the disk image namespace', () => ns.close());
  const root = ns.root;
  const nsRoot = ns.mountpoint!;
  // The identifiers do not depend on sizes, so the files that name them can be written before measuring.
  let layout: DiskLayout = planLayout({ storage, needs: {}, seed });
  const moduleDir = await prepareTree(ctx, root, layout);
  const mountpoints = layout.partitions.filter((p) => p.mountpoint && p.mountpoint !== '/').map((p) => join(root, p.mountpoint!));
  const needs: Record<string, number> = {};
  for (const p of layout.partitions) {
    if (!p.mountpoint) continue;
    const usage = measureTree(join(root, p.mountpoint), new Set(mountpoints.filter((m) => m !== join(root, p.mountpoint!))));
    needs[p.label] = filesystemNeed(p.fs, usage);
  }
  layout = planLayout({ storage, needs, seed });
  const raw = join(ctx.workDir, 'disk.raw');
  closeSync(openSync(raw, 'w'));
  truncateSync(raw, layout.totalBytes);
  await log.step(`Writing a ${layout.table.toUpperCase()} partition table (${formatBytes(layout.totalBytes)} disk)`, async () => {
    await writePartitionTable(raw, layout);
  });
  // Deepest mount points first: each is made from its directory and then hidden under an empty
  // tmpfs in the namespace, so the filesystem holding it (in the end /) does not take its files too.
  const ordered = [...layout.partitions].sort((a, b) => {
    const depth = (m: string | undefined) => (m === undefined ? 1000 : m === '/' ? -1 : m.split('/').length);
    return depth(b.mountpoint) - depth(a.mountpoint);
  });
  for (const p of ordered) {
    if (p.fs === 'none') continue;
    await log.step(`Making ${p.fs} "${p.label}"${p.mountpoint ? ` for ${p.mountpoint}` : ''}`, async () => {
      const inside = p.mountpoint ? join(nsRoot, p.mountpoint) : undefined;
      const fsImage = await makeFilesystem({ part: p, source: inside, hostSource: p.mountpoint ? join(root, p.mountpoint) : undefined, image: raw, workDir: ctx.workDir, ns, sourceDateEpoch: ctx.sourceDateEpoch });
      if (fsImage) await placeAt(raw, fsImage, p.offset);
      if (inside && p.mountpoint !== '/') await ns.run('mount', ['-t', 'tmpfs', '-o', 'mode=0755,size=1M', 'golden-hidden', inside], { purpose: `hide ${p.mountpoint} from the root filesystem` });
    });
  }
  await biosStage(ctx, raw, layout, moduleDir);
  return { raw, closed: ns.close() };
}

/** The cached root filesystem of the lower layers, with the top layers written into it. */
async function incrementalRaw(ctx: OutputContext<DiskFormat>, lower: LayerInfo[], upper: LayerInfo[]): Promise<Made> {
  // identifiers from the lower layers only, so the cached disk is the same for every rebuild
  const seed = `${lower.map((l) => l.key).join('/')}\0${ctx.config.name}`;
  const tree = join(ctx.workDir, 'disk-tree');
  const upperDir = join(tree, 'upper');
  mkdirSync(join(tree, 'mnt'), { recursive: true });
  const ns = await MountNamespace.open({ layers: ctx.layers.map((l) => l.dir), upper: upperDir, work: join(tree, 'work'), mountpoint: join(tree, 'mnt'), label: 'disk image tree' });
  ctx.cleanup.defer('close the disk image namespace', () => ns.close());
  try {
    return await incrementalIn(ctx, ns, tree, seed, lower, upper);
  } catch (err) {
    // the whole path opens its own tree; this one must not stay mounted meanwhile
    await ns.close();
    throw err;
  }
}

async function incrementalIn(ctx: OutputContext<DiskFormat>, ns: MountNamespace, tree: string, seed: string, lower: LayerInfo[], upper: LayerInfo[]): Promise<Made> {
  const storage = ctx.config.storage;
  const upperDir = join(tree, 'upper');
  const root = ns.root;
  const probe = planLayout({ storage, needs: {}, seed });
  const moduleDir = await prepareTree(ctx, root, probe);
  const others = probe.partitions.filter((p) => p.mountpoint && p.mountpoint !== '/');
  const exclude = others.map((p) => p.mountpoint!.slice(1));
  const upperDirs = [...upper.map((l) => l.dir), upperDir];
  const upperUsage: TreeUsage = { dataBytes: 0, inodes: 0 };
  for (const d of upperDirs) {
    const u = measureTree(d);
    upperUsage.dataBytes += u.dataBytes;
    upperUsage.inodes += u.inodes;
  }
  const otherNeeds = Object.fromEntries(others.map((p) => [p.label, filesystemNeed(p.fs, measureTree(join(root, p.mountpoint!)))]));
  const base = await log.step('Root filesystem of the lower layers', async () => {
    const r = await lowerDisk({ store: ctx.store!, storage, lower, seed, exclude, upper: upperUsage, otherNeeds, sourceDateEpoch: ctx.sourceDateEpoch });
    return { ...r, detail: `${lower.map((l) => l.step).join(' + ')}, ${formatBytes(r.layout.totalBytes)} disk` };
  });
  const layout = base.layout;
  const raw = join(ctx.workDir, 'disk.raw');
  const rootPart = layout.partitions.find((p) => p.mountpoint === '/')!;
  await log.step(`Writing the top layers (${upper.map((l) => l.step).join(', ') || 'none'}) into a copy of the cached disk`, async () => {
    const t0 = Date.now();
    // the copy (I/O) runs while the trees are compared
    let copiedAt = 0;
    const copy = run('cp', ['--sparse=always', base.raw, raw], { purpose: 'copy the cached disk' }).then(() => (copiedAt = Date.now()));
    const lowerRoot = await mountLower(ns, lower, join(tree, 'lower'));
    const scratch = join(ctx.workDir, 'delta');
    mkdirSync(scratch, { recursive: true });
    const delta = await ext4Delta({ lowerRoot, finalRoot: root, upperDirs, exclude, scratch }).finally(() => copy);
    await copy;
    const t1 = Date.now();
    await applyDelta(raw, rootPart.offset, delta.script, scratch, { E2FSPROGS_FAKE_TIME: String(ctx.sourceDateEpoch) });
    const s = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
    return { detail: `${delta.written} written, ${delta.removed} removed (copy ${s(copiedAt - t0)}, debugfs ${s(Date.now() - t1)})` };
  });
  for (const p of layout.partitions) {
    if (p.mountpoint === '/' || p.fs === 'none') continue;
    await log.step(`Making ${p.fs} "${p.label}"${p.mountpoint ? ` for ${p.mountpoint}` : ''}`, async () => {
      const fsImage = await makeFilesystem({ part: p, source: p.mountpoint ? join(ns.mountpoint!, p.mountpoint) : undefined, hostSource: p.mountpoint ? join(root, p.mountpoint) : undefined, image: raw, workDir: ctx.workDir, ns, sourceDateEpoch: ctx.sourceDateEpoch });
      if (fsImage) await placeAt(raw, fsImage, p.offset);
    });
  }
  await biosStage(ctx, raw, layout, moduleDir);
  return { raw, closed: ns.close() };
}

/**
 * The merged lower layers, read-only, mounted inside the image tree's namespace (a second namespace
 * would cost its own set-up and tear-down); returns its host-visible path.
 */
async function mountLower(ns: MountNamespace, lower: LayerInfo[], dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const dirs = lower.map((l) => l.dir);
  // overlayfs needs two lower directories when it has no upper one
  const args = dirs.length === 1 ? ['--bind', '-o', 'ro', dirs[0]!, dir] : ['-t', 'overlay', 'golden-lower', '-o', `lowerdir=${[...dirs].reverse().join(':')}`, dir];
  await ns.run('mount', args, { purpose: 'mount the lower layers read-only' });
  return `/proc/${ns.nsPid}/root${dir}`;
}
