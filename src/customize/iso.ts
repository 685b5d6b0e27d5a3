// A live ISO (Golden's, or any live-boot/casper disc) taken apart without mounting: xorriso copies the
// live directory out of the ISO 9660 tree, unsquashfs unpacks each layer, and the layers are flattened
// in the order the live system stacks them, whiteouts applied.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { run } from '../exec/run.js';
import { applyOverlayLayer } from './overlay-apply.js';

export interface IsoExtractDetails {
  liveDir: string;
  layers: string[];
}

/** Copy one file or directory out of the ISO; false when it is not there. */
export async function isoExtract(iso: string, pathInIso: string, dest: string): Promise<boolean> {
  const r = await run('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', pathInIso, dest], { allowFailure: true, purpose: `copy ${pathInIso} out of the ISO` });
  return r.exitCode === 0 && existsSync(dest);
}

/**
 * The squashfs layers in stacking order, base first: live-boot's filesystem.module, else casper's
 * layerfs-path (a dotted chain: a.squashfs under a.b.squashfs), else every squashfs by name.
 */
export function layerOrder(files: readonly string[], moduleFile?: string, layerfsPath?: string): string[] {
  const squashfs = files.filter((f) => f.endsWith('.squashfs'));
  if (moduleFile !== undefined) {
    const listed = moduleFile.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    const missing = listed.filter((l) => !squashfs.includes(l));
    if (missing.length > 0) throw new UserError(`filesystem.module lists layers missing from the ISO: ${missing.join(', ')}`);
    return listed;
  }
  if (layerfsPath !== undefined) {
    const top = layerfsPath.trim().replace(/\.squashfs$/, '');
    const parts = top.split('.');
    return parts.map((_, i) => `${parts.slice(0, i + 1).join('.')}.squashfs`).filter((f) => squashfs.includes(f));
  }
  return [...squashfs].sort();
}

export async function extractIso(iso: string, dest: string, scratch: string): Promise<IsoExtractDetails> {
  for (const liveDir of ['live', 'casper']) {
    const dir = join(scratch, liveDir);
    if (!(await isoExtract(iso, `/${liveDir}`, dir))) continue;
    const files = readdirSync(dir);
    const read = (name: string) => (files.includes(name) ? readFileSync(join(dir, name), 'utf8') : undefined);
    const layers = layerOrder(files, read('filesystem.module'), read('layerfs-path'));
    if (layers.length === 0) continue;
    mkdirSync(dest, { recursive: true });
    for (const [i, layer] of layers.entries()) {
      const target = i === 0 ? dest : join(scratch, `layer-${i}`);
      // -f: the base unpacks into the (existing, empty) destination; -n: no progress bar
      await run('unsquashfs', ['-f', '-n', '-d', target, join(dir, layer)], { purpose: `unpack the ISO layer ${layer}` });
      rmSync(join(dir, layer), { force: true });
      if (i > 0) {
        await applyOverlayLayer(target, dest);
        rmSync(target, { recursive: true, force: true });
      }
    }
    rmSync(dir, { recursive: true, force: true });
    return { liveDir, layers };
  }
  throw new UserError(`${iso} is an ISO without a live system (no squashfs under /live or /casper)`, {
    hint: 'Golden can start from a live ISO it made (or another live-boot or casper ISO), not from an installer disc',
  });
}
