// Flattening a stack of overlayfs upper directories into one tree without mounting: the same rules
// overlayfs applies (Documentation/filesystems/overlayfs.rst): a 0/0 character device is a whiteout
// (the name is deleted), a directory with trusted.overlay.opaque=y hides everything below it, any other
// entry replaces what is below, and directories merge. Used for the squashfs layers of a Golden ISO.
import { chmodSync, lchownSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import type { Stats } from 'node:fs';
import { run } from '../exec/run.js';

const isWhiteout = (st: Stats) => st.isCharacterDevice() && st.rdev === 0;

/** Directories (relative to root, "/"-joined, no leading slash) marked opaque in an overlay upper. */
export async function opaqueDirectories(root: string): Promise<Set<string>> {
  const res = await run('getfattr', ['-R', '-h', '--absolute-names', '-n', 'trusted.overlay.opaque', root], { allowFailure: true, purpose: 'find opaque directories' });
  const out = new Set<string>();
  let file: string | undefined;
  for (const line of res.stdout.split('\n')) {
    const f = /^# file: (.*)$/.exec(line);
    if (f) file = f[1]!.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
    else if (file && /^trusted\.overlay\.opaque="y"/.test(line)) out.add(file.slice(root.length).replace(/^\/+/, ''));
  }
  return out;
}

function removeWhiteouts(dir: string): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (isWhiteout(st)) rmSync(p);
    else if (st.isDirectory()) removeWhiteouts(p);
  }
}

/**
 * Move the content of `upper` onto `dest`, applying whiteouts and opaque directories. `upper` is consumed
 * (its entries are renamed into dest, so both must be on one filesystem).
 */
export async function applyOverlayLayer(upper: string, dest: string): Promise<void> {
  const opaque = await opaqueDirectories(upper);
  const walk = (rel: string) => {
    for (const name of readdirSync(join(upper, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      const src = join(upper, r);
      const dst = join(dest, r);
      const st = lstatSync(src);
      const below = lstatSync(dst, { throwIfNoEntry: false });
      if (isWhiteout(st)) {
        if (below) rmSync(dst, { recursive: true, force: true });
        continue;
      }
      if (st.isDirectory()) {
        if (below && (!below.isDirectory() || opaque.has(r))) rmSync(dst, { recursive: true, force: true });
        if (!lstatSync(dst, { throwIfNoEntry: false })) {
          renameSync(src, dst);
          removeWhiteouts(dst); // whiteouts under a new directory hide nothing
          continue;
        }
        lchownSync(dst, st.uid, st.gid);
        chmodSync(dst, st.mode & 0o7777);
        walk(r);
        utimesSync(dst, st.atime, st.mtime);
        continue;
      }
      if (below) rmSync(dst, { recursive: true, force: true });
      renameSync(src, dst);
    }
  };
  mkdirSync(dest, { recursive: true });
  walk('');
}
