// Ubuntu: casper. Casper mounts the disc at /cdrom and, given layerfs-path=NAME.squashfs, stacks the
// squashfs files whose dotted names are prefixes of NAME (a.squashfs under a.b.squashfs). Naming the
// layers as a dotted chain gives it the same order live-boot reads from filesystem.module.
// Not yet booted by a test: the Ubuntu base layer does not exist in Golden yet.
import type { LiveVendor } from './types.js';

export const ubuntuVendor: LiveVendor = {
  name: 'ubuntu',
  liveDir: 'casper',
  bootArguments: ['boot=casper'],
  isoFileArgument: (v) => `iso-scan/filename=${v}`,
  mediumMountpoint: '/cdrom',
  imagePackages: () => ['linux-generic', 'casper', 'systemd-sysv', 'zstd'],
  // casper's hook and boot scripts
  initramfsFiles: [],
  liveInitramfsFiles: ['hooks/casper', 'scripts/casper', 'scripts/casper-bottom', 'scripts/casper-premount', 'scripts/casper-functions', 'scripts/casper-helpers', 'scripts/lupin-helpers'],
  layerFileNames: (steps) => steps.map((_, i) => `${steps.slice(0, i + 1).map((s) => s.replace(/[^A-Za-z0-9_-]+/g, '_')).join('.')}.squashfs`),
  layerManifest: () => ({}),
  layerArguments: (names) => (names.length > 0 ? [`layerfs-path=${names[names.length - 1]}`] : []),
  signedBootFiles: () => ({
    shim: '/usr/lib/shim/shimx64.efi.signed',
    mokManager: '/usr/lib/shim/mmx64.efi.signed',
    grub: '/usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed',
  }),
};
