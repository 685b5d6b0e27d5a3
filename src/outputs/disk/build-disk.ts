// Turns the merged image tree into a partitioned, bootable disk image with no loop device and no mount
// of an image file: plan the layout, write the partition table into a sparse file, make each
// filesystem from its directory at its offset, write GRUB's BIOS stage by hand, convert the format.
import { closeSync, openSync, truncateSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { formatBytes, log } from '../../log/logger.js';
import { makeSeedDisk, seedFiles } from '../cloud-init-seed.js';
import type { OutputContext, OutputFile, OutputResult } from '../types.js';
import { moveInto, outputFile } from './artefact.js';
import { writeBiosStage } from './bios-boot.js';
import { convertImage, type DiskFormat } from './convert.js';
import { filesystemNeed, makeFilesystem, measureTree, placeAt } from './filesystems.js';
import { makeCoreImage } from './grub.js';
import { setupImageTree } from './image-setup.js';
import { checkStorage, planLayout, SECTOR, type DiskLayout } from './layout.js';
import { writePartitionTable } from './partition-table.js';

export async function buildDisk(ctx: OutputContext<DiskFormat>, format: DiskFormat): Promise<OutputResult> {
  const { config } = ctx;
  const storage = config.storage;
  checkStorage(storage);
  const seed = `${ctx.layers.map((l) => l.key).join('/')}\0${config.name}`;
  const ns = await ctx.openRoot();
  ctx.cleanup.defer('close the disk image namespace', () => ns.close());
  const root = ns.root;
  const nsRoot = ns.mountpoint!;
  // The identifiers do not depend on sizes, so the files that name them can be written before measuring.
  let layout: DiskLayout = planLayout({ storage, needs: {}, seed });
  const seedInImage = config.cloudInit?.placement !== 'seed-disk';
  let moduleDir: string | undefined;
  await log.step('Preparing the image tree for a disk', async () => {
    moduleDir = setupImageTree({ root, config, layout, seedInImage });
  });
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
      const fsImage = await makeFilesystem({
        part: p,
        source: inside,
        hostSource: p.mountpoint ? join(root, p.mountpoint) : undefined,
        image: raw,
        workDir: ctx.workDir,
        ns,
        sourceDateEpoch: ctx.sourceDateEpoch,
      });
      if (fsImage) await placeAt(raw, fsImage, p.offset);
      if (inside && p.mountpoint !== '/') await ns.run('mount', ['-t', 'tmpfs', '-o', 'mode=0755,size=1M', 'golden-hidden', inside], { purpose: `hide ${p.mountpoint} from the root filesystem` });
    });
  }
  if (storage.bootType !== 'efi' && moduleDir) {
    await log.step('Writing the GRUB BIOS boot stage', async () => {
      const { boot, core } = await makeCoreImage(moduleDir!, layout, ctx.workDir);
      const biosPart = layout.partitions.find((p) => p.type === 'bios-boot');
      const start = biosPart ? biosPart.offset / SECTOR : 1;
      const room = biosPart ? biosPart.size / SECTOR : layout.partitions[0]!.offset / SECTOR - 1;
      writeBiosStage(raw, boot, core, start, room);
    });
  }
  await ns.close();
  const files: OutputFile[] = [];
  await log.step(`Writing ${format} ${basename(ctx.outputPath)}`, async () => {
    if (format === 'raw') await moveInto(raw, ctx.outputPath);
    else await convertImage(raw, ctx.outputPath, format, ctx.output, ctx.workDir);
    files.push(await outputFile(ctx.outputPath));
    return { detail: formatBytes(files[0]!.bytes) };
  });
  if (config.cloudInit && !seedInImage) {
    const seedPath = join(dirname(ctx.outputPath), `${basename(ctx.outputPath, extname(ctx.outputPath))}-seed.img`);
    await log.step('Making the cloud-init seed disk', async () => {
      await makeSeedDisk(seedPath, seedFiles(config, config.cloudInit!), ctx.workDir);
    });
    files.push(await outputFile(seedPath));
  }
  return { files };
}
