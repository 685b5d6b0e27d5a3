// The changes the top layers make to a tree, written into an existing ext4 filesystem with debugfs
// (e2fsprogs), so a one-file rebuild edits the cached filesystem of the lower layers instead of making
// the whole filesystem again. What changed is read from the overlay upper directories (every path they
// hold, whiteouts included, and the lower children of opaque directories); what each path must become
// is read from the final merged tree, what it was from the merged lower tree.
import { lstatSync, readdirSync, readlinkSync, type Stats, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { capture, run } from '../../exec/run.js';
import { overlayMarks } from '../oci/layer-tar.js';

/** The delta cannot be expressed safely (a name debugfs cannot quote, redirect_dir/metacopy): make the filesystem whole instead. */
export class DeltaUnsupported extends Error {}

export interface DeltaInput {
  /** The merged tree the filesystem was made from. */
  lowerRoot: string;
  /** The merged tree the filesystem must hold. */
  finalRoot: string;
  /** Overlay upper directories stacked over lowerRoot to give finalRoot, bottom first. */
  upperDirs: string[];
  /** Relative mount points of other filesystems: their contents stay out, the directory itself is kept. */
  exclude: string[];
  /** Where xattr values are written for debugfs to read. */
  scratch: string;
}

export interface Delta {
  script: string;
  /** Paths written or changed, and paths removed. */
  written: number;
  removed: number;
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/** debugfs (libss) splits its command lines on blanks and understands double quotes, nothing more. */
export function dq(s: string): string {
  if (/["\n\r\0\\]/.test(s)) throw new DeltaUnsupported(`${JSON.stringify(s)}: debugfs cannot take this name`);
  return `"${s}"`;
}

/** A name passed where debugfs also parses options. */
function baseName(rel: string): string {
  const b = posix.basename(rel);
  if (b.startsWith('-')) throw new DeltaUnsupported(`${rel}: debugfs would read the name as an option`);
  return dq(b);
}

const abs = (rel: string) => dq(`/${rel}`);

/** Every path the upper directories touch, relative, sorted so a parent comes before its children. */
export async function touchedPaths(upperDirs: string[], lowerRoot: string): Promise<string[]> {
  const touched = new Set<string>();
  for (const dir of upperDirs) {
    const marks = await overlayMarks(dir);
    if (marks.unsound) throw new DeltaUnsupported(marks.unsound);
    const walk = (d: string, rel: string) => {
      for (const name of readdirSync(d)) {
        const r = rel ? `${rel}/${name}` : name;
        touched.add(r);
        const st = lstatSync(join(d, name));
        if (st.isDirectory()) walk(join(d, name), r);
      }
    };
    walk(dir, '');
    // an opaque directory hides what the lower tree held there: each lower child may have to go
    for (const o of marks.opaque) {
      const rel = o.replace(/^\.\/?/, '');
      const lowerDir = join(lowerRoot, rel);
      if (!lstatOrNull(lowerDir)?.isDirectory()) continue;
      for (const name of readdirSync(lowerDir)) touched.add(rel ? `${rel}/${name}` : name);
    }
  }
  return [...touched].sort();
}

/** The debugfs commands that turn the filesystem of lowerRoot into that of finalRoot. */
export async function ext4Delta(input: DeltaInput): Promise<Delta> {
  const { lowerRoot, finalRoot, exclude } = input;
  const paths = await touchedPaths(input.upperDirs, lowerRoot);
  const lines: string[] = [];
  const removedDirs = new Set<string>();
  const links = new Map<string, { first: string; count: number }>();
  const withAttrs: string[] = [];
  let written = 0;
  let removed = 0;
  const under = (rel: string, set: Iterable<string>) => {
    for (const d of set) if (rel.startsWith(`${d}/`)) return true;
    return false;
  };
  const removeLower = (rel: string, st: Stats) => {
    removed++;
    if (!st.isDirectory()) {
      lines.push(`rm ${abs(rel)}`);
      return;
    }
    // children first: debugfs removes only empty directories
    for (const name of readdirSync(join(lowerRoot, rel))) {
      const child = `${rel}/${name}`;
      removeLower(child, lstatSync(join(lowerRoot, child)));
    }
    lines.push(`rmdir ${abs(rel)}`);
  };
  for (const rel of paths) {
    if (under(rel, exclude)) continue;
    const F = lstatOrNull(join(finalRoot, rel));
    const L = under(rel, removedDirs) ? null : lstatOrNull(join(lowerRoot, rel));
    const bothDirs = L?.isDirectory() && F?.isDirectory();
    if (L && !bothDirs) {
      removeLower(rel, L);
      if (L.isDirectory()) removedDirs.add(rel);
    }
    if (!F) continue;
    written++;
    const parent = posix.dirname(rel);
    const cd = `cd ${abs(parent === '.' ? '' : parent)}`;
    if (F.isDirectory()) {
      // debugfs cannot make /NAME by its full path (empty parent): always by name in its parent
      if (!bothDirs) lines.push(cd, `mkdir ${baseName(rel)}`);
    } else if (F.isFile()) {
      const id = `${F.dev}:${F.ino}`;
      const seen = F.nlink > 1 ? links.get(id) : undefined;
      if (seen) {
        lines.push(cd, `ln ${abs(seen.first)} ${baseName(rel)}`);
        seen.count++;
        continue;
      }
      if (F.nlink > 1) links.set(id, { first: rel, count: 1 });
      lines.push(cd, `write ${dq(join(finalRoot, rel))} ${baseName(rel)}`);
    } else if (F.isSymbolicLink()) {
      lines.push(cd, `symlink ${baseName(rel)} ${dq(readlinkSync(join(finalRoot, rel)))}`);
    } else if (F.isCharacterDevice() || F.isBlockDevice()) {
      const major = Math.floor(F.rdev / 256) & 0xfff;
      const minor = (F.rdev & 0xff) | ((F.rdev >> 12) & 0xfff00);
      lines.push(cd, `mknod ${baseName(rel)} ${F.isCharacterDevice() ? 'c' : 'b'} ${major} ${minor}`);
    } else if (F.isFIFO()) {
      lines.push(cd, `mknod ${baseName(rel)} p`);
    } else {
      // sockets: mkfs.ext4 -d leaves them out too
      written--;
      continue;
    }
    const p = abs(rel);
    if (!F.isSymbolicLink()) lines.push(`sif ${p} mode 0${F.mode.toString(8)}`);
    const t = `@${Math.floor(F.mtimeMs / 1000)}`;
    lines.push(`sif ${p} uid ${F.uid}`, `sif ${p} gid ${F.gid}`, `sif ${p} mtime ${t}`, `sif ${p} atime ${t}`, `sif ${p} ctime ${t}`);
    withAttrs.push(rel);
  }
  for (const { first, count } of links.values()) if (count > 1) lines.push(`sif ${abs(first)} links_count ${count}`);
  lines.push(...(await xattrCommands(finalRoot, withAttrs, input.scratch)));
  lines.push('cd /');
  return { script: `${lines.join('\n')}\n`, written, removed };
}

/** ea_set commands for the extended attributes (capabilities, ACLs...) of the written paths. */
async function xattrCommands(root: string, rels: string[], scratch: string): Promise<string[]> {
  const out: string[] = [];
  let n = 0;
  for (let i = 0; i < rels.length; i += 500) {
    const batch = rels.slice(i, i + 500);
    const dump = await capture('getfattr', ['--physical', '--absolute-names', '--dump', '--match=-', '--encoding=hex', ...batch.map((r) => join(root, r))], { allowFailure: true, purpose: 'read extended attributes' });
    let current: string | undefined;
    for (const line of dump.split('\n')) {
      const file = /^# file: (.*)$/.exec(line);
      if (file) {
        current = file[1]!.startsWith(root) ? file[1]!.slice(root.length + 1) : undefined;
        continue;
      }
      const attr = /^([^=]+)=0x([0-9a-f]*)$/.exec(line);
      if (!attr || current === undefined || attr[1]!.startsWith('trusted.overlay.')) continue;
      const valueFile = join(scratch, `xattr-${n++}`);
      writeFileSync(valueFile, Buffer.from(attr[2]!, 'hex'));
      out.push(`ea_set -f ${dq(valueFile)} ${abs(current)} ${dq(attr[1]!)}`);
    }
  }
  return out;
}

/** Run the commands on the ext4 filesystem at `offset` in `image`. debugfs exits 0 whatever fails, so its stderr is the verdict. */
export async function applyDelta(image: string, offset: number, script: string, scratch: string, env: Record<string, string>): Promise<void> {
  const file = join(scratch, 'delta.debugfs');
  writeFileSync(file, script);
  // stdout only echoes each command: thousands of lines kept out of the build log
  const r = await run('sh', ['-c', 'exec debugfs "$@" >/dev/null', 'debugfs', '-w', '-f', file, `${image}?offset=${offset}`], { env, purpose: 'apply the top layers to the cached ext4 filesystem' });
  const errors = r.stderr.split('\n').filter((l) => l.trim() && !/^debugfs \d/.test(l));
  if (errors.length) throw new Error(`debugfs reported errors while applying the top layers:\n${errors.slice(0, 20).join('\n')}`);
}
