// md5sum.txt and SHA256SUMS at the root of the disc (what `md5sum -c` / `sha256sum -c` and casper's
// integrity check read), and NAME.iso.sha256 beside the image. Large squashfs files are usually cached
// and unchanged between builds, so their sums are cached next to them, keyed by size and mtime.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { ELTORITO_PATH } from './boot-files.js';

// eltorito.img is patched by xorriso (-boot-info-table) as it is written, so its sum on the disc could
// never match; boot.catalog is made by xorriso itself.
const NOT_SUMMED = new Set([ELTORITO_PATH, 'boot.catalog', 'md5sum.txt', 'SHA256SUMS']);

export interface FileSums {
  md5: string;
  sha256: string;
}

async function hashFile(path: string): Promise<FileSums> {
  const md5 = createHash('md5');
  const sha = createHash('sha256');
  // most files on the disc are small (GRUB modules, pool packages): one read, no stream set-up per file
  if (lstatSync(path).size <= 16 * 1024 * 1024) {
    const data = readFileSync(path);
    return { md5: md5.update(data).digest('hex'), sha256: sha.update(data).digest('hex') };
  }
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * 1024 * 1024 })) {
    md5.update(chunk as Buffer);
    sha.update(chunk as Buffer);
  }
  return { md5: md5.digest('hex'), sha256: sha.digest('hex') };
}

/**
 * Sums of a file, reusing a sums file written for the same size, mtime and inode: `PATH.sums` when
 * `cacheBeside` is true, or the file of that name in `cacheBeside` when it is a directory path (for files
 * that must not get a neighbour, e.g. a kernel inside a cached layer tree).
 */
export async function cachedFileSums(path: string, cacheBeside: boolean | string = false): Promise<FileSums> {
  const st = lstatSync(path);
  const stamp = `${st.size}:${st.mtimeMs}:${st.ino}`;
  let side = `${path}.sums`;
  if (typeof cacheBeside === 'string') {
    mkdirSync(cacheBeside, { recursive: true });
    side = join(cacheBeside, `${createHash('sha256').update(path).digest('hex').slice(0, 32)}.sums`);
  }
  if (cacheBeside && existsSync(side)) {
    const [s, md5, sha256] = readFileSync(side, 'utf8').trim().split(' ');
    if (s === stamp && md5 && sha256) return { md5, sha256 };
  }
  const sums = await hashFile(path);
  if (cacheBeside) {
    const tmp = `${side}.${process.pid}.tmp`;
    writeFileSync(tmp, `${stamp} ${sums.md5} ${sums.sha256}\n`);
    renameSync(tmp, side);
  }
  return sums;
}

function walk(root: string, dir = root, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) walk(root, p, out);
    else if (st.isFile()) out.push(relative(root, p).split(sep).join('/'));
  }
  return out;
}

/**
 * Write md5sum.txt and SHA256SUMS for every regular file under isoRoot. `known` gives sums already
 * computed (e.g. of cached squashfs files hard-linked into the tree), by disc path.
 */
export async function writeDiscChecksums(isoRoot: string, known: ReadonlyMap<string, FileSums> = new Map()): Promise<void> {
  const files = walk(isoRoot).filter((f) => !NOT_SUMMED.has(f));
  const md5: string[] = [];
  const sha: string[] = [];
  for (const f of files) {
    const s = known.get(f) ?? (await hashFile(join(isoRoot, f)));
    md5.push(`${s.md5}  ./${f}`);
    sha.push(`${s.sha256}  ./${f}`);
  }
  writeFileSync(join(isoRoot, 'md5sum.txt'), `${md5.join('\n')}\n`);
  writeFileSync(join(isoRoot, 'SHA256SUMS'), `${sha.join('\n')}\n`);
}

/** sha256 of a file (OpenSSL's, which uses the CPU's SHA extensions: far faster than sha256sum). */
export async function sha256File(path: string): Promise<string> {
  const sha = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * 1024 * 1024 })) sha.update(chunk as Buffer);
  return sha.digest('hex');
}

/** NAME.iso.sha256 beside the image, in `sha256sum -c` format (temporary name, then rename). */
export function writeImageSum(isoPath: string, sha256: string, sha256Path = `${isoPath}.sha256`): void {
  const tmp = `${sha256Path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${sha256}  ${basename(isoPath)}\n`);
  renameSync(tmp, sha256Path);
}
