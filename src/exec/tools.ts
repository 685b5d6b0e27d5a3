// Which Debian package provides each host tool Golden runs, so a missing tool can be named with the
// exact command that installs it.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { UserError } from '../errors.js';

export const TOOL_PACKAGES: Readonly<Record<string, string>> = {
  'apt-get': 'apt',
  'apt-cache': 'apt',
  'apt-ftparchive': 'apt-utils',
  btrfs: 'btrfs-progs',
  'mkfs.btrfs': 'btrfs-progs',
  chroot: 'coreutils',
  'debconf-set-selections': 'debconf',
  'debconf-get-selections': 'debconf-utils',
  'dpkg-deb': 'dpkg',
  'dpkg-query': 'dpkg',
  e2fsck: 'e2fsprogs',
  debugfs: 'e2fsprogs',
  setfattr: 'attr',
  mtype: 'mtools',
  dd: 'coreutils',
  mknod: 'coreutils',
  mkfifo: 'coreutils',
  'mkfs.ext4': 'e2fsprogs',
  'fsck.ext4': 'e2fsprogs',
  tune2fs: 'e2fsprogs',
  'fsck.vfat': 'dosfstools',
  'mkfs.vfat': 'dosfstools',
  'mkfs.xfs': 'xfsprogs',
  'xfs_repair': 'xfsprogs',
  gpg: 'gpg',
  gpgv: 'gpgv',
  'grub-mkimage': 'grub-common',
  'grub-mkstandalone': 'grub-common',
  lintian: 'lintian',
  mcopy: 'mtools',
  mmd: 'mtools',
  mdir: 'mtools',
  mksquashfs: 'squashfs-tools',
  unsquashfs: 'squashfs-tools',
  mmdebstrap: 'mmdebstrap',
  nsenter: 'util-linux',
  unshare: 'util-linux',
  setpriv: 'util-linux',
  findmnt: 'util-linux',
  sfdisk: 'fdisk',
  'qemu-img': 'qemu-utils',
  'qemu-system-x86_64': 'qemu-system-x86',
  reprepro: 'reprepro',
  aptly: 'aptly',
  skopeo: 'skopeo',
  umoci: 'umoci',
  shellcheck: 'shellcheck',
  tar: 'tar',
  xorriso: 'xorriso',
  xz: 'xz-utils',
  zstd: 'zstd',
  gzip: 'gzip',
  'disk-image-create': 'python3-diskimage-builder',
  getfattr: 'attr',
  pigz: 'pigz',
  mkswap: 'util-linux',
  mount: 'mount',
  lb: 'live-build',
};

export function packageForTool(tool: string): string | undefined {
  return TOOL_PACKAGES[tool];
}

const found = new Map<string, string | undefined>();

/** The absolute path of `tool` on PATH (also /usr/sbin and /sbin, which a non-login root shell may lack). */
export function findTool(tool: string): string | undefined {
  if (tool.includes('/')) return tool;
  if (found.has(tool)) return found.get(tool);
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  let result: string | undefined;
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, tool);
    try {
      accessSync(candidate, constants.X_OK);
      result = candidate;
      break;
    } catch {
      // not here
    }
  }
  found.set(tool, result);
  return result;
}

export class MissingToolError extends UserError {
  readonly tools: string[];
  constructor(tools: string[], purpose?: string) {
    const pkgs = [...new Set(tools.map((t) => packageForTool(t) ?? t))];
    super(
      `${tools.length === 1 ? 'the host tool' : 'host tools'} ${tools.map((t) => `"${t}"`).join(', ')} ${tools.length === 1 ? 'is' : 'are'} not installed${purpose ? ` (needed ${purpose})` : ''}`,
      { hint: `install ${pkgs.length === 1 ? 'it' : 'them'} with: apt-get install -y ${pkgs.join(' ')}` },
    );
    this.name = 'MissingToolError';
    this.tools = tools;
  }
}

/** Fail early, naming every missing tool and the one command that installs them all. */
export function requireTools(tools: readonly string[], purpose?: string): void {
  const missing = tools.filter((t) => !findTool(t));
  if (missing.length > 0) throw new MissingToolError(missing, purpose);
}
