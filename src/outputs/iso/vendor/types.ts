// The seam between the disc layout (vendor-neutral) and the live system's boot machinery, which differs
// by distribution: live-boot on Debian, casper on Ubuntu. Everything vendor-specific is here.

export interface SignedBootFiles {
  /** shim, signed by Microsoft's UEFI CA: becomes EFI/BOOT/BOOTX64.EFI. */
  shim: string;
  /** MokManager, which shim starts when a key must be enrolled. */
  mokManager: string;
  /** The distribution's signed GRUB for CDs: becomes EFI/BOOT/grubx64.efi, loaded by shim. */
  grub: string;
}

export interface LiveVendor {
  name: 'debian' | 'ubuntu';
  /** Directory on the disc holding the kernel, initrd and squashfs layers. */
  liveDir: string;
  /** Kernel arguments that make the initrd boot the live system from the disc. */
  bootArguments: string[];
  /** The argument that names the ISO file when grub boots it from another disk (loopback.cfg). */
  isoFileArgument(pathVariable: string): string;
  /** Where the initrd mounts the disc in the running live system. */
  mediumMountpoint: string;
  /** Packages the image needs to boot as a live system. */
  imagePackages(arch: string): string[];
  /** initramfs-tools files (under /usr/share/initramfs-tools) that only the live boot needs: left out of an installed system's initramfs. */
  liveInitramfsFiles: string[];
  /** initramfs-tools hooks and boot scripts (source files relative to src/) installed into the image for the live initramfs. */
  initramfsFiles: string[];
  /** File names of the layers made by `steps` (base first), in stacking order. */
  layerFileNames(steps: readonly string[]): string[];
  /** Files in liveDir that tell the initrd the stacking order (base first), name → content. */
  layerManifest(fileNames: readonly string[]): Record<string, string>;
  /** Kernel arguments that name the layers, when the initrd learns the order from the command line. */
  layerArguments(fileNames: readonly string[]): string[];
  signedBootFiles(arch: string): SignedBootFiles;
}
