// iso.additionalFiles: files put on the disc itself, beside the live system (e.g. NoCloud data that can
// be replaced without touching the squashfs layers).
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import type { IsoConfig } from '../../config/schema.js';
import { UserError } from '../../errors.js';
import { copyTree } from './boot-files.js';
import { linkOrCopy } from './pool.js';

const RESERVED = ['live', 'casper', 'boot', 'EFI', '.disk', 'pool', 'dists', 'md5sum.txt', 'SHA256SUMS', 'boot.catalog'];

export function additionalFileList(files: IsoConfig['additionalFiles']): { source: string; destination: string }[] {
  return Array.isArray(files) ? files : Object.entries(files).map(([source, destination]) => ({ source, destination }));
}

/** Where a destination lands under the disc root; refuses paths that leave it or replace Golden's own. */
export function discPath(destination: string): string {
  const rel = normalize(destination).replace(/^\/+/, '');
  if (rel === '' || rel === '.' || rel.startsWith('..')) throw new UserError(`iso.additionalFiles: "${destination}" is not a path on the disc`);
  const top = rel.split('/')[0]!;
  if (RESERVED.includes(top)) {
    throw new UserError(`iso.additionalFiles: "${destination}" would replace the disc's own /${top}`, { hint: `choose another directory; ${RESERVED.map((r) => `/${r}`).join(', ')} are made by Golden` });
  }
  return rel;
}

export function verifyAdditionalFiles(files: IsoConfig['additionalFiles']): void {
  for (const f of additionalFileList(files)) {
    discPath(f.destination);
    if (!existsSync(f.source)) throw new UserError(`iso.additionalFiles: ${f.source} does not exist`);
  }
}

export function copyAdditionalFiles(files: IsoConfig['additionalFiles'], isoRoot: string): void {
  for (const f of additionalFileList(files)) {
    const to = join(isoRoot, discPath(f.destination));
    if (!existsSync(f.source)) throw new UserError(`iso.additionalFiles: ${f.source} does not exist`);
    mkdirSync(dirname(to), { recursive: true });
    if (statSync(f.source).isDirectory()) copyTree(f.source, to);
    else linkOrCopy(f.source, to);
  }
}
