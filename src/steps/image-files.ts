// Writing into the image. Every write goes through a process chrooted into the image, so a symlink in the
// image (e.g. /etc/localtime → /usr/share/zoneinfo/...) resolves inside the image, never on the host.
import type { ImageRoot } from '../rootfs/chroot.js';

export interface ImageFileSpec {
  path: string;
  content: string | Buffer;
  mode?: string;
  owner?: string;
}

/** Write a file (parents created), then set its mode and owner by name as the image knows them. */
export async function writeImageFile(root: ImageRoot, f: ImageFileSpec): Promise<void> {
  await root.sh('mkdir -p "$(dirname "$1")"; rm -f "$1"; cat > "$1"; chmod "$2" "$1"; chown "$3" "$1"', [f.path, f.mode ?? '0644', f.owner ?? 'root:root'], {
    input: f.content,
    purpose: `write ${f.path} in the image`,
  });
}

export async function makeImageDirectory(root: ImageRoot, path: string, mode: string, owner: string): Promise<void> {
  await root.sh('mkdir -p "$1"; chmod "$2" "$1"; chown "$3" "$1"', [path, mode, owner], { purpose: `create ${path} in the image` });
}
