// Issue 7 on the ISO: the image's manifest, resolved config and SBOM also go on the medium itself
// (/.disk/golden), so `golden inspect X.iso` and auditors read them without unpacking a squashfs. They
// are the very files of the image's manifest layer (/usr/share/golden), copied byte for byte, so the
// disc and the live system can never disagree.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_FILE, IMAGE_MANIFEST_DIR, ISO_MANIFEST_DIR, MANIFEST_FILE, SBOM_FILE } from '../../manifest/manifest.js';
import type { LayerInfo } from '../types.js';

const FILES = [MANIFEST_FILE, CONFIG_FILE, SBOM_FILE];

/** The topmost layer that holds the manifest files (the build's manifest layer), if any. */
export function manifestSourceDir(layers: readonly LayerInfo[]): string | undefined {
  for (const layer of [...layers].reverse()) {
    const dir = join(layer.dir, IMAGE_MANIFEST_DIR);
    if (existsSync(join(dir, MANIFEST_FILE))) return dir;
  }
  return undefined;
}

/** Copy the manifest files from `fromDir` to /.disk/golden on the disc; returns how many were copied. */
export function writeDiscManifest(fromDir: string, isoRoot: string): number {
  const to = join(isoRoot, ISO_MANIFEST_DIR);
  mkdirSync(to, { recursive: true });
  let n = 0;
  for (const f of FILES) {
    if (!existsSync(join(fromDir, f))) continue;
    copyFileSync(join(fromDir, f), join(to, f));
    n++;
  }
  return n;
}
