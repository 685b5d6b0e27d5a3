// Raw → the delivery format with qemu-img. -W (out-of-order writes) and -m 16 (coroutines) keep the
// conversion parallel; compression, when asked, is zstd unless zlib is named (older QEMU reads only zlib).
import { rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { OutputOf } from '../../config/schema.js';
import { run } from '../../exec/run.js';
import { moveInto, type BackgroundRemoval } from './artefact.js';

export type DiskFormat = 'raw' | 'qcow2' | 'vmdk' | 'vhd' | 'vhdx';

/** qemu-img's name and options for each output type. */
export function qemuImgTarget(format: Exclude<DiskFormat, 'raw'>, output: OutputOf<DiskFormat>): { fmt: string; args: string[] } {
  switch (format) {
    case 'qcow2': {
      const compression = (output as OutputOf<'qcow2'>).compression;
      if (compression === 'none') return { fmt: 'qcow2', args: [] };
      return { fmt: 'qcow2', args: ['-c', '-o', `compression_type=${compression}`] };
    }
    case 'vmdk':
      // monolithicSparse by default: one sparse file written in parallel, which VMware Workstation,
      // VirtualBox and QEMU open and vmkfstools imports into ESXi. streamOptimized (deflate-compressed,
      // written by one thread) is what OVF/OVA packages, vSphere uploads and cloud image imports want.
      return { fmt: 'vmdk', args: ['-o', `subformat=${(output as OutputOf<'vmdk'>).subformat}`] };
    case 'vhd': {
      // Azure needs a fixed VHD whose virtual size is a whole number of MiB; force_size keeps the size
      // exact instead of rounding it to a CHS geometry
      const sub = (output as OutputOf<'vhd'>).subformat;
      return { fmt: 'vpc', args: ['-o', `subformat=${sub},force_size=on`] };
    }
    case 'vhdx':
      return { fmt: 'vhdx', args: ['-o', 'subformat=dynamic'] };
  }
}

export async function convertImage(raw: string, outputPath: string, format: Exclude<DiskFormat, 'raw'>, output: OutputOf<DiskFormat>, workDir: string, later: BackgroundRemoval): Promise<void> {
  const { fmt, args } = qemuImgTarget(format, output);
  const tmp = join(workDir, `converted-${basename(outputPath)}`);
  rmSync(tmp, { force: true });
  // -t unsafe: no fsync at the end (like cp); the image is renamed into place only once complete
  await run('qemu-img', ['convert', '-q', '-t', 'unsafe', '-f', 'raw', '-O', fmt, '-m', '16', '-W', ...args, raw, tmp], { purpose: `convert the disk image to ${format}` });
  later.remove(raw);
  await moveInto(tmp, outputPath, workDir, later);
}
