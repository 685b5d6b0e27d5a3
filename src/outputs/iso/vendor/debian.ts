// Debian: live-boot. It mounts the disc at /run/live/medium and stacks the squashfs files listed in
// /live/filesystem.module (base first) as overlay lower layers under a tmpfs upper. live-config is
// left out on purpose: it costs ~50 s per boot under emulation and Golden's config layer already did
// its work (users, hostname, locale) at build time.
import type { LiveVendor } from './types.js';

export const debianVendor: LiveVendor = {
  name: 'debian',
  liveDir: 'live',
  bootArguments: ['boot=live'],
  isoFileArgument: (v) => `findiso=${v}`,
  mediumMountpoint: '/run/live/medium',
  // zstd: initramfs-tools compresses with it when present (gzip otherwise): a smaller initrd that GRUB
  // reads faster from the disc and the kernel unpacks faster
  imagePackages: (arch) => [`linux-image-${arch}`, 'live-boot', 'systemd-sysv', 'zstd'],
  // live-boot-initramfs-tools' hooks and boot script
  liveInitramfsFiles: ['hooks/live', 'hooks/kms', 'scripts/live'],
  // leaves live-boot's network and KMS drivers out of the live initramfs (a third of its size)
  initramfsFiles: ['outputs/iso/payload/golden-live-trim.hook'],
  layerFileNames: (steps) => steps.map((step, i) => `${String(i + 1).padStart(2, '0')}-${step.replace(/[^A-Za-z0-9_-]+/g, '_')}.squashfs`),
  layerManifest: (names) => ({ 'filesystem.module': `${names.join('\n')}\n` }),
  layerArguments: () => [],
  signedBootFiles: () => ({
    shim: '/usr/lib/shim/shimx64.efi.signed',
    mokManager: '/usr/lib/shim/mmx64.efi.signed',
    grub: '/usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed',
  }),
};
