// The live system's kernel and initrd come from the image itself (its /boot), so the initrd is the one
// the image's initramfs-tools built with live-boot's hooks. They are looked up through the layer stack
// the way overlayfs merges it (whiteouts, opaque directories) instead of mounting the merged tree: no
// mount namespace, and the files are hard-linked from the cached layers rather than copied.
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../errors.js';
import { run } from '../../exec/run.js';
import { compareVersions } from '../../repo/version.js';

export interface FoundKernel {
  version: string;
  kernel: string;
  initrd: string;
}

/** What one layer says about a path: present (a file), hidden (whiteout or a non-directory parent), or nothing. */
function entryKind(dir: string, rel: string): 'file' | 'dir' | 'whiteout' | 'none' {
  const parts = rel.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const p = join(dir, ...parts.slice(0, i));
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return 'none';
    }
    if (st.isCharacterDevice() && st.rdev === 0) return 'whiteout';
    if (i < parts.length && !st.isDirectory()) return 'whiteout';
    if (i === parts.length) return st.isDirectory() ? 'dir' : 'file';
  }
  return 'none';
}

async function isOpaque(path: string): Promise<boolean> {
  const r = await run('getfattr', ['--absolute-names', '--only-values', '-n', 'trusted.overlay.opaque', path], { allowFailure: true, purpose: 'reading an overlay mark' });
  return r.exitCode === 0 && r.stdout.trim() === 'y';
}

/** The layers (top first) whose /boot is visible in the merged tree: down to the first opaque one. */
async function visibleBootDirs(layerDirs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const dir of [...layerDirs].reverse()) {
    const kind = entryKind(dir, 'boot');
    if (kind === 'whiteout' || kind === 'file') break;
    if (kind === 'none') continue;
    out.push(join(dir, 'boot'));
    if (await isOpaque(join(dir, 'boot'))) break;
  }
  return out;
}

/** The newest kernel of the merged tree of `layerDirs` (base first) and its initrd, as paths inside the layers. */
export async function findKernelInLayers(layerDirs: readonly string[]): Promise<FoundKernel> {
  const boots = await visibleBootDirs(layerDirs);
  // name → the topmost layer's verdict
  const seen = new Map<string, string | null>();
  for (const boot of boots) {
    for (const name of readdirSync(boot)) {
      if (seen.has(name)) continue;
      const st = lstatSync(join(boot, name));
      seen.set(name, st.isCharacterDevice() && st.rdev === 0 ? null : join(boot, name));
    }
  }
  const present = (name: string) => seen.get(name) ?? undefined;
  const versions = [...seen.keys()]
    .filter((f) => f.startsWith('vmlinuz-') && present(f))
    .map((f) => f.slice('vmlinuz-'.length))
    .sort(compareVersions);
  const version = versions[versions.length - 1];
  if (!version) {
    throw new UserError('the image has no kernel in /boot, so the ISO cannot boot it', {
      hint: 'the iso output adds linux-image-ARCH to the image packages; check that packages.remove does not remove it',
    });
  }
  const resolve = (name: string) => {
    const p = present(name);
    return p && lstatSync(p).isFile() ? p : undefined;
  };
  const kernel = resolve(`vmlinuz-${version}`);
  const initrd = resolve(`initrd.img-${version}`);
  if (!kernel) throw new UserError(`the image's /boot/vmlinuz-${version} is not a regular file`);
  if (!initrd) {
    throw new UserError(`the image has the kernel ${version} but no /boot/initrd.img-${version}`, { hint: 'initramfs-tools must be installed in the image (live-boot depends on it)' });
  }
  return { version, kernel, initrd };
}
