// Where Golden's own files are at run time: the compiled code lives in dist/src/, while shell payloads,
// templates and built-in features stay as real files in the source tree.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the Golden installation directory');
    dir = parent;
  }
}

/** The Golden installation (the checkout) root. */
export const goldenRoot: string = findRepoRoot();

/** Absolute path of a file under src/ (payload scripts, feature files), e.g. `rootfs/payload/holder.sh`. */
export function sourceFile(relativeToSrc: string): string {
  return resolve(goldenRoot, 'src', relativeToSrc);
}

let version: string | undefined;

/** Golden's own version (package.json), recorded in manifests and printed by --version. */
export function goldenVersion(): string {
  version ??= (JSON.parse(readFileSync(join(goldenRoot, 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}
