// What an input image is, from its bytes (never its name): a disk image, an ISO, a tarball, an OCI
// image, or a root directory.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { isOciArchive } from './archive.js';
import { fileReader } from './disk.js';

export type ImageKind = 'disk' | 'iso' | 'tar' | 'oci' | 'dir';

/** Pure part: the kind suggested by the first 64 KiB (and the last 512 bytes) of a file. */
export function kindFromBytes(head: Buffer, tail: Buffer): 'disk' | 'iso' | 'tar' | 'unknown' {
  const ascii = (from: number, to: number) => head.subarray(from, to).toString('latin1');
  if (ascii(0x8001, 0x8006) === 'CD001') return 'iso';
  if (ascii(0, 4) === 'QFI\xfb' || ascii(0, 4) === 'KDMV' || ascii(0, 8) === 'vhdxfile' || ascii(0, 8) === 'conectix' || ascii(0, 21) === '# Disk DescriptorFile') return 'disk';
  if (tail.subarray(0, 8).toString('latin1') === 'conectix') return 'disk'; // fixed VHD: raw disk + footer
  if (ascii(257, 262) === 'ustar') return 'tar';
  const magic = head.subarray(0, 6).toString('hex');
  if (magic.startsWith('1f8b') || magic === 'fd377a585a00' || magic.startsWith('28b52ffd') || ascii(0, 3) === 'BZh') return 'tar';
  if (ascii(512, 520) === 'EFI PART' || (head[510] === 0x55 && head[511] === 0xaa)) return 'disk';
  if (head.length > 1082 && head.readUInt16LE(1080) === 0xef53) return 'disk'; // a bare ext4 filesystem image
  if (ascii(0, 4) === 'XFSB' || (head.length >= 0x10048 && ascii(0x10040, 0x10048) === '_BHRfS_M')) return 'disk';
  return 'unknown';
}

export async function detectImageKind(path: string): Promise<ImageKind> {
  if (!existsSync(path)) throw new UserError(`${path} does not exist`);
  const st = statSync(path);
  if (st.isDirectory()) {
    if (existsSync(join(path, 'oci-layout'))) return 'oci';
    if (existsSync(join(path, 'etc')) || existsSync(join(path, 'usr'))) return 'dir';
    throw new UserError(`${path} is a directory but neither an OCI layout nor a root filesystem (no etc/ or usr/)`);
  }
  const { read, close } = fileReader(path);
  let kind: ReturnType<typeof kindFromBytes>;
  let plainTar: boolean;
  try {
    const head = read(0, 0x10200);
    kind = kindFromBytes(head, read(Math.max(0, st.size - 512), 512));
    plainTar = head.subarray(257, 262).toString('latin1') === 'ustar';
  } finally {
    close();
  }
  // OCI archives are plain tars; listing a compressed rootfs tarball just to check would cost its whole decompression
  if (kind === 'tar' && plainTar && (await isOciArchive(path))) return 'oci';
  if (kind === 'unknown') {
    throw new UserError(`cannot tell what kind of image ${path} is`, {
      hint: 'Golden reads qcow2, raw, vmdk, vhd and vhdx disk images, live ISOs, rootfs tarballs and OCI images',
    });
  }
  return kind;
}
