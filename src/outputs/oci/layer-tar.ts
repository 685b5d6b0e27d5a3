// One Golden layer (an overlayfs upper directory) as one OCI layer tarball. overlayfs and OCI record
// deletions differently: overlayfs keeps a 0/0 character device for a deleted file and the xattr
// trusted.overlay.opaque=y on a directory that hides everything below it; OCI wants an empty file
// ".wh.NAME" and a ".wh..wh..opq" file in the directory (OCI image spec, layer.md "Whiteouts").
import { appendFileSync, lstatSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { capture, run } from '../../exec/run.js';
import { findTool } from '../../exec/tools.js';
import { sha256File } from '../disk/artefact.js';

export interface OverlayMarks {
  /** Paths (relative, "./a/b") of deleted entries. */
  whiteouts: string[];
  /** Directories (relative) that hide what lower layers hold. */
  opaque: string[];
  /** Set when the upper directory uses redirect_dir or metacopy: not expressible as an OCI layer. */
  unsound: string | undefined;
}

/** Find whiteouts (walk) and opaque/redirect/metacopy marks (one getfattr over the tree). */
export async function overlayMarks(dir: string): Promise<OverlayMarks> {
  const whiteouts: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      const st = lstatSync(path);
      const r = `${rel}/${name}`;
      if (st.isCharacterDevice() && st.rdev === 0) whiteouts.push(r);
      else if (st.isDirectory()) walk(path, r);
    }
  };
  walk(dir, '.');
  const opaque: string[] = [];
  let unsound: string | undefined;
  const dump = await capture('getfattr', ['--recursive', '--physical', '--absolute-names', '--dump', '--match=^trusted\\.overlay\\.', dir], { allowFailure: true, purpose: 'read overlay marks' });
  let current = '';
  for (const line of dump.split('\n')) {
    const file = /^# file: (.*)$/.exec(line);
    if (file) {
      current = file[1]!.slice(dir.length) || '';
      continue;
    }
    const attr = /^trusted\.overlay\.([a-z_]+)=(.*)$/.exec(line);
    if (!attr) continue;
    const rel = `.${current}`;
    if (attr[1] === 'opaque' && attr[2] === '"y"') opaque.push(rel);
    if (attr[1] === 'redirect' || attr[1] === 'metacopy') unsound ??= `${rel} carries trusted.overlay.${attr[1]}`;
  }
  return { whiteouts, opaque, unsound };
}

/** A ustar header + data for an empty regular file (whiteout markers). */
function emptyFileEntry(name: string, mtime: number): Buffer {
  const h = Buffer.alloc(512);
  const put = (off: number, len: number, v: string) => h.write(v, off, len, 'utf8');
  const oct = (off: number, len: number, v: number) => put(off, len, `${v.toString(8).padStart(len - 1, '0')}\0`);
  let base = name;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 154);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
  }
  put(0, 100, base);
  oct(100, 8, 0o644);
  oct(108, 8, 0);
  oct(116, 8, 0);
  oct(124, 12, 0);
  oct(136, 12, mtime);
  h.fill(32, 148, 156);
  h[156] = '0'.charCodeAt(0);
  put(257, 6, 'ustar\0');
  put(263, 2, '00');
  put(345, 155, prefix);
  let sum = 0;
  for (const b of h) sum += b;
  put(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

function globEscape(path: string): string {
  return path.replace(/[[\]*?\\]/g, '\\$&');
}

export interface LayerBlob {
  /** sha256 of the uncompressed tar (the config's diff_id). */
  diffId: string;
  /** sha256 and size of the gzip blob (the manifest's digest). */
  digest: string;
  size: number;
  file: string;
}

/**
 * Write `dir` as an OCI layer into `work` and return its digests. `run` is how tar is started (inside a
 * namespace for a merged tree, plainly for a cached upper directory).
 */
export async function writeLayer(dir: string, work: string, name: string, sourceDateEpoch: number, marks: OverlayMarks | undefined): Promise<LayerBlob> {
  const tarFile = join(work, `${name}.tar`);
  const excludes = join(work, `${name}.exclude`);
  writeFileSync(excludes, (marks?.whiteouts ?? []).map((w) => `${globEscape(w)}\n`).join(''));
  await run('tar', [
    '--create',
    `--file=${tarFile}`,
    '--blocking-factor=1',
    '--format=posix',
    '--sort=name',
    '--numeric-owner',
    '--xattrs',
    '--xattrs-include=security.capability',
    `--mtime=@${sourceDateEpoch}`,
    '--clamp-mtime',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
    '--anchored',
    `--exclude-from=${excludes}`,
    '--directory',
    dir,
    '.',
  ], { purpose: `pack the layer ${name}` });
  if (marks && (marks.whiteouts.length > 0 || marks.opaque.length > 0)) {
    // drop tar's end-of-archive blocks, append the markers, end the archive again
    truncateSync(tarFile, statSync(tarFile).size - 1024);
    const entries: Buffer[] = [];
    for (const w of marks.whiteouts) entries.push(emptyFileEntry(posix.join(posix.dirname(w), `.wh.${posix.basename(w)}`), sourceDateEpoch));
    for (const o of marks.opaque) entries.push(emptyFileEntry(posix.join(o, '.wh..wh..opq'), sourceDateEpoch));
    appendFileSync(tarFile, Buffer.concat([...entries, Buffer.alloc(1024)]));
  }
  const gz = `${tarFile}.gz`;
  // pigz uses every core; -n keeps the name and time stamp out of the gzip header (reproducible)
  const gzip = findTool('pigz') ? 'pigz' : 'gzip';
  await run(gzip, ['-n', '-6', '-k', '-f', tarFile], { purpose: `compress the layer ${name}` });
  const diffId = await sha256File(tarFile);
  rmSync(tarFile, { force: true });
  const digest = await sha256File(gz);
  return { diffId, digest, size: statSync(gz).size, file: gz };
}
