// Looking at and tidying a finished layer's upper directory (what the step changed), on the host,
// without the overlay mounted: touching files through the overlay would copy them up.
import { existsSync, lstatSync, lutimesSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Paths an initramfs is made from; a step that changed any of them must rebuild it. */
const INITRAMFS_INPUTS = ['etc/initramfs-tools', 'etc/crypttab', 'etc/modules', 'etc/modprobe.d', 'etc/modules-load.d', 'usr/share/initramfs-tools', 'usr/lib/modules', 'lib/modules', 'etc/udev/rules.d', 'usr/lib/udev/rules.d', 'etc/fstab', 'etc/plymouth', 'usr/lib/firmware'];

export function changedInitramfsInputs(upper: string): string[] {
  return INITRAMFS_INPUTS.filter((p) => existsSync(join(upper, p)));
}

/** Every path (relative) the upper directory holds, for tests and `--debug`. */
export function listUpper(upper: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(upper, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    out.push(p);
    if (e.isDirectory()) out.push(...listUpper(upper, p));
  }
  return out;
}

/**
 * Clamp every timestamp newer than `epoch` to `epoch` (symlinks themselves, not their targets), so equal
 * inputs give equal trees whenever they are built. Done in-process (like `find -newermt @EPOCH -exec
 * touch --no-dereference`), without starting a process per layer.
 */
export async function clampTimestamps(dir: string, epoch: number): Promise<void> {
  const limitMs = epoch * 1000;
  const visit = (p: string) => {
    const st = lstatSync(p);
    if (st.isDirectory()) for (const name of readdirSync(p)) visit(join(p, name));
    // after the children: clamping them does not change the directory's own times
    if (st.mtimeMs > limitMs) lutimesSync(p, epoch, epoch);
  };
  visit(dir);
}
