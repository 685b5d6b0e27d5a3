// The seam the build's base step and `golden edit` use: any image Golden can read becomes a full root
// tree in a directory. The input is only ever read (disk images are converted to a scratch copy).
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { requireTools } from '../exec/tools.js';
import { log } from '../log/logger.js';
import { extractOci, extractTarball, type OciExtractDetails } from './archive.js';
import { detectImageKind, type ImageKind } from './detect.js';
import { extractDisk, type DiskExtractDetails } from './disk.js';
import { extractIso, type IsoExtractDetails } from './iso.js';

export interface ExtractOptions {
  /** Scratch space on the same filesystem as destDir (default: a sibling of destDir, removed afterwards). */
  scratchDir?: string;
}

export type ExtractResult =
  | { kind: 'disk'; details: DiskExtractDetails }
  | { kind: 'iso'; details: IsoExtractDetails }
  | { kind: 'tar'; details: { file: string } }
  | { kind: 'oci'; details: OciExtractDetails };

/** Host tools each kind of input needs. */
export function extractTools(kind: ImageKind): string[] {
  switch (kind) {
    case 'disk':
      return ['qemu-img', 'debugfs', 'setfattr', 'mcopy', 'dd'];
    case 'iso':
      return ['xorriso', 'unsquashfs', 'getfattr'];
    case 'tar':
      return ['tar'];
    case 'oci':
      return ['umoci', 'tar'];
    case 'dir':
      return ['cp'];
  }
}

/**
 * Write the full root tree of `imagePath` to `destDir` (created; must be empty if it exists). For a disk
 * image the partitions its fstab mounts (/boot, /boot/efi, …) are merged in at their mount points.
 */
export async function extractImageRoot(imagePath: string, destDir: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const image = resolve(imagePath);
  const kind = await detectImageKind(image);
  if (kind === 'dir') throw new UserError(`${imagePath} is already a root directory`, { hint: 'use it as it is, or make a tarball of it' });
  requireTools(extractTools(kind), `to read a ${kind} image`);
  mkdirSync(destDir, { recursive: true });
  if (readdirSync(destDir).length > 0) throw new UserError(`cannot extract ${imagePath}: ${destDir} is not empty`);
  const ownScratch = opts.scratchDir === undefined;
  const scratch = opts.scratchDir ?? mkdtempSync(join(dirname(resolve(destDir)), `.${basename(destDir)}.extract-`));
  mkdirSync(scratch, { recursive: true });
  try {
    log.verbose(`reading ${imagePath} as a ${kind} image`);
    switch (kind) {
      case 'disk':
        return { kind, details: await extractDisk(image, destDir, scratch) };
      case 'iso':
        return { kind, details: await extractIso(image, destDir, scratch) };
      case 'tar':
        await extractTarball(image, destDir);
        return { kind, details: { file: image } };
      case 'oci':
        return { kind, details: await extractOci(image, destDir, scratch) };
    }
    throw new UserError(`cannot read ${imagePath}`);
  } finally {
    if (ownScratch) rmSync(scratch, { recursive: true, force: true });
  }
}
