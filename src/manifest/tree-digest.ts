// A content digest of a directory tree (a layer): sha256 over every entry in sorted order with its
// type, mode, owner and content (file bytes, link target, device number). Times are left out on
// purpose, so the digest names what the layer holds, not when it was made.
import { createHash, type Hash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs';
import { join } from 'node:path';

const buf = Buffer.allocUnsafe(1 << 20);

function hashFile(path: string, into: Hash): void {
  const fd = openSync(path, 'r');
  const h = createHash('sha256');
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  into.update(h.digest('hex'));
}

export function treeDigest(root: string): string {
  const h = createHash('sha256');
  const walk = (rel: string) => {
    const names = readdirSync(join(root, rel)).sort();
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      const p = join(root, r);
      const st = lstatSync(p);
      h.update(`${r}\0${st.mode.toString(8)}\0${st.uid}:${st.gid}\0`);
      if (st.isFile()) hashFile(p, h);
      else if (st.isSymbolicLink()) h.update(readlinkSync(p));
      else if (st.isCharacterDevice() || st.isBlockDevice()) h.update(String(st.rdev));
      h.update('\n');
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return h.digest('hex');
}
