// How the image is delivered: ISO, disk layout, installer, outputs.
import { z } from 'zod';
import { filePath, imagePath, keyboardSchema, obj, sizeOrPercent, sizeString } from './schema-common.js';

export const COMPRESSION_ALGORITHMS = ['xz', 'zstd', 'gzip', 'lzo', 'lz4'] as const;
export const isoCompressionSchema = z
  .union([
    z.enum(['fast', 'small']).describe('fast: zstd level 3, for iteration; small: xz, for release'),
    obj({
      algorithm: z.enum(COMPRESSION_ALGORITHMS).describe('mksquashfs compressor'),
      level: z.number().int().min(1).max(22).optional().describe("compression level (zstd 1-22, gzip 1-9); default: the compressor's own"),
    }),
  ])
  .default('fast')
  .describe('squashfs compression: "fast" (default), "small", or {algorithm, level}');
export type IsoCompression = z.infer<typeof isoCompressionSchema>;

export const isoPoolSchema = obj({
  packages: z.array(z.string().min(1)).default([]).describe('packages put in the pool on the disc, with their dependencies'),
  lists: z.array(filePath()).default([]).describe('files listing pool packages, one per line, "#" starts a comment'),
  allOfArchive: z.string().min(1).optional().describe('also every package of this distribution of the company archive'),
}).describe('a signed apt archive on the disc, installable with no network');

export const additionalFileSchema = obj({
  source: filePath().describe('file or directory on the build machine'),
  destination: z.string().min(1).describe('path on the disc'),
});
export const isoSchema = obj({
  compression: isoCompressionSchema,
  volumeId: z.string().max(32).regex(/^[A-Za-z0-9_ .-]*$/, 'use letters, digits, space, "_", "." and "-"').optional().describe('ISO volume id, at most 32 characters; default: derived from name, version and architecture'),
  official: z.boolean().default(false).describe('mark the disc "Release" rather than "Daily" in .disk/info'),
  additionalFiles: z
    .union([z.record(z.string(), z.string()), z.array(additionalFileSchema)])
    .default({})
    .describe('files put on the disc itself: a map {source: destination on the disc} or a list of {source, destination}'),
  kernelCommandLine: obj({
    extraCommandLine: z.array(z.string().min(1)).default([]).describe('kernel arguments for the ISO boot entries only'),
  })
    .prefault({})
    .describe('kernel command line of the live system'),
  pool: isoPoolSchema.prefault({}),
  initramfsAslr: z
    .boolean()
    .default(false)
    .describe(
      'keep user-space address randomisation on while the live initramfs runs; by default it is off there (only the initramfs tools are concerned, the running system is always randomised) because under QEMU software emulation it doubles the boot time of a layered live ISO',
    ),
  cdromMountpoint: imagePath().default('/run/live/medium').describe('where the disc is mounted on the live system (live-boot uses /run/live/medium); cdrom.sources points there'),
}).describe('settings of iso outputs');
export type IsoConfig = z.infer<typeof isoSchema>;

export const PARTITION_TYPES = ['esp', 'bios-boot', 'root', 'swap', 'home', 'linux', 'boot'] as const;
export const FILESYSTEMS = ['ext4', 'xfs', 'vfat', 'btrfs', 'swap'] as const;
export const partitionSchema = obj({
  label: z.string().min(1).max(36).describe('partition label (GPT name) and filesystem label'),
  size: sizeOrPercent().describe('size such as "512M", or a percentage of the space left, such as "100%"'),
  type: z.enum(PARTITION_TYPES).describe('partition role; sets the partition type GUID/ID'),
  filesystem: z.enum(FILESYSTEMS).optional().describe('filesystem; default: vfat for esp, swap for swap, none for bios-boot, else ext4'),
  mountpoint: imagePath().optional().describe('mount point; default: /boot/efi for esp, / for root, /home for home, /boot for boot'),
  options: z.string().default('defaults').describe('fstab mount options'),
}).describe('one partition');
export type PartitionConfig = z.infer<typeof partitionSchema>;

/**
 * fstab options of an ESP left at `defaults`: only root reads the boot loaders, and the ESP is mounted
 * when first used (systemd automount), so its fsck and mount are not on the boot's critical path.
 */
export const ESP_MOUNT_OPTIONS = 'umask=0077,x-systemd.automount';

export const DEFAULT_PARTITIONS: PartitionConfig[] = [
  { label: 'BIOS', size: '1M', type: 'bios-boot', options: 'defaults' },
  { label: 'ESP', size: '127M', type: 'esp', filesystem: 'vfat', mountpoint: '/boot/efi', options: ESP_MOUNT_OPTIONS },
  { label: 'root', size: '100%', type: 'root', filesystem: 'ext4', mountpoint: '/', options: 'defaults' },
];

export const storageSchema = obj({
  size: z
    .union([
      sizeString(),
      obj({
        headroom: sizeOrPercent().default('25%').describe('free space added to the content: a size or a percentage of it'),
        minimum: sizeString().optional().describe('smallest disk size'),
      }),
    ])
    .default(() => ({ headroom: '25%' }))
    .describe('disk size: fixed ("4G") or {headroom, minimum} from the content'),
  table: z.enum(['gpt', 'mbr']).default('gpt').describe('partition table'),
  bootType: z.enum(['bios', 'efi', 'both']).default('both').describe('firmware the disk boots with'),
  partitions: z.array(partitionSchema).min(1).default(() => structuredClone(DEFAULT_PARTITIONS)).describe('partitions in disk order; default: BIOS boot + ESP + ext4 root'),
  fstabBy: z.enum(['uuid', 'label']).default('uuid').describe('how fstab names filesystems'),
  growRoot: z.boolean().default(true).describe('grow the root partition and filesystem to the disk on first boot'),
}).describe('disk layout of raw, qcow2, vmdk, vhd and vhdx outputs');
export type StorageConfig = z.infer<typeof storageSchema>;

export const passphraseSchema = z
  .union([
    z.literal('prompt').describe('ask on the console during installation'),
    obj({ file: filePath().describe('file on the build machine holding the passphrase (first line)') }),
    obj({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).describe('environment variable of the build holding the passphrase') }),
  ])
  .default('prompt')
  .describe('where the LUKS passphrase comes from: "prompt", {file} or {env}');

export const installerSchema = obj({
  mode: z.enum(['guided', 'unattended']).default('guided').describe('guided: asks on the console; unattended: installs with no questions'),
  disk: z.string().regex(/^(auto|\/dev\/.+)$/, 'write "auto" or a device path such as /dev/sda').default('auto').describe('target disk: "auto" (the only or largest non-removable disk) or a device path'),
  layout: z.array(partitionSchema).optional().describe('partitions; default: ESP + /boot + root (encrypted when encryption is enabled)'),
  encryption: obj({
    enabled: z.boolean().default(false).describe('put root on LUKS2 (argon2id)'),
    passphrase: passphraseSchema,
    minLength: z.number().int().min(1).default(8).describe('shortest passphrase accepted in guided mode'),
    kdf: obj({
      memoryMiB: z.number().int().min(1).max(4096).default(1024).describe("argon2id memory cost in MiB (cryptsetup caps it at half the installing machine's RAM)"),
      iterationTimeMs: z.number().int().min(1).max(60_000).default(2000).describe('time one unlock should take on the installing machine, in ms (sets the argon2id iterations)'),
    })
      .prefault({})
      .describe('cost of deriving the LUKS key from the passphrase: higher resists guessing, lower unlocks faster (low values only for tests)'),
  })
    .prefault({})
    .describe('full-disk encryption'),
  hostname: z.string().regex(/^[a-z0-9{}-]+$/i, 'letters, digits, "-" and placeholders such as {serial}').optional().describe('hostname of the installed machine; placeholders {serial}, {mac}, {random}; default: hostname'),
  user: obj({
    name: z.string().regex(/^[a-z_][a-z0-9_-]*$/).describe('login name'),
    passwordHash: z.string().optional().describe('crypt(3) hash; asked in guided mode when missing'),
    sudo: z.boolean().default(true).describe('allow sudo'),
  })
    .optional()
    .describe('first user created on the installed machine'),
  locale: z.string().optional().describe('locale of the installed machine; default: locale'),
  timezone: z.string().optional().describe('time zone; default: timezone'),
  keyboard: keyboardSchema.optional(),
  reboot: z.boolean().default(true).describe('reboot when the installation is done'),
  keepCdromSources: z.boolean().default(false).describe("keep the disc's cdrom.sources on the installed system"),
  automaticEntry: z.boolean().default(false).describe('add the boot menu entry "Install NAME automatically (erases DISK)"'),
}).describe('the installer on iso outputs');
export type InstallerConfig = z.infer<typeof installerSchema>;

const outputCommon = {
  name: z.string().regex(/^[A-Za-z0-9._+-]+$/).optional().describe('file name stem; default: the config name'),
  path: filePath().optional().describe('where to write the output; default: out/NAME.EXT beside the config'),
};
export const OUTPUT_TYPES = ['rootfs', 'tar', 'iso', 'raw', 'qcow2', 'vmdk', 'vhd', 'vhdx', 'oci'] as const;
export const outputEntrySchema = z
  .discriminatedUnion('type', [
    obj({ type: z.literal('rootfs').describe('a directory holding the root filesystem'), ...outputCommon }),
    obj({ type: z.literal('tar').describe('a tarball of the root filesystem'), ...outputCommon, compression: z.enum(['gz', 'xz', 'zstd', 'none']).default('zstd').describe('tarball compression') }),
    obj({ type: z.literal('iso').describe('a hybrid BIOS/UEFI live ISO'), ...outputCommon }),
    obj({ type: z.literal('raw').describe('a raw disk image'), ...outputCommon }),
    obj({ type: z.literal('qcow2').describe('a QEMU qcow2 disk image'), ...outputCommon, compression: z.enum(['none', 'zlib', 'zstd']).default('none').describe('qcow2 cluster compression') }),
    obj({ type: z.literal('vmdk').describe('a VMware disk image'), ...outputCommon, subformat: z.enum(['monolithicSparse', 'streamOptimized']).default('monolithicSparse').describe('monolithicSparse (fast to write; VMware Workstation, ESXi via vmkfstools, VirtualBox, QEMU) or streamOptimized (compressed, what OVF/OVA, vSphere uploads and cloud image imports ask for; slower to write)') }),
    obj({ type: z.literal('vhd').describe('a Hyper-V/Azure VHD disk image'), ...outputCommon, subformat: z.enum(['fixed', 'dynamic']).default('fixed').describe('fixed (what Azure requires) or dynamic') }),
    obj({ type: z.literal('vhdx').describe('a Hyper-V VHDX disk image'), ...outputCommon }),
    obj({
      type: z.literal('oci').describe('an OCI image layout'),
      ...outputCommon,
      archive: z.boolean().default(false).describe('write an OCI archive (.tar) instead of a directory'),
      entrypoint: z.array(z.string()).optional().describe('image entrypoint'),
      cmd: z.array(z.string()).optional().describe('image default command; default: ["/bin/bash"]'),
      env: z.record(z.string(), z.string()).default({}).describe('environment variables'),
      labels: z.record(z.string(), z.string()).default({}).describe('image labels'),
      tag: z.string().optional().describe('reference name; default: VERSION or "latest"'),
    }),
  ])
  .describe('one output; "type" selects the kind');
export type OutputEntry = z.infer<typeof outputEntrySchema>;
export type OutputType = OutputEntry['type'];
export type OutputOf<T extends OutputType> = Extract<OutputEntry, { type: T }>;
