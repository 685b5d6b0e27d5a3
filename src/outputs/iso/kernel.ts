// The live system's kernel and initrd come from the image itself (its /boot), so the initrd is the one
// the image's initramfs-tools built with live-boot's hooks.
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../errors.js';
import { compareVersions } from '../../repo/version.js';

export interface FoundKernel {
  version: string;
  kernel: string;
  initrd: string;
}

/** Copy the newest kernel and its initrd from root/boot to `into` (the merged tree goes away after). */
export function findKernel(root: string, into: string): FoundKernel {
  const boot = join(root, 'boot');
  const versions = (existsSync(boot) ? readdirSync(boot) : [])
    .filter((f) => f.startsWith('vmlinuz-'))
    .map((f) => f.slice('vmlinuz-'.length))
    .sort(compareVersions);
  const version = versions[versions.length - 1];
  if (!version) {
    throw new UserError('the image has no kernel in /boot, so the ISO cannot boot it', {
      hint: 'the iso output adds linux-image-ARCH to the image packages; check that packages.remove does not remove it',
    });
  }
  const initrd = join(boot, `initrd.img-${version}`);
  if (!existsSync(initrd)) {
    throw new UserError(`the image has the kernel ${version} but no /boot/initrd.img-${version}`, { hint: 'initramfs-tools must be installed in the image (live-boot depends on it)' });
  }
  mkdirSync(into, { recursive: true });
  const out = { version, kernel: join(into, 'vmlinuz'), initrd: join(into, 'initrd.img') };
  copyFileSync(join(boot, `vmlinuz-${version}`), out.kernel);
  copyFileSync(initrd, out.initrd);
  return out;
}
