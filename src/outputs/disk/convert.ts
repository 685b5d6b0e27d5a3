// Raw → the delivery format with qemu-img. -W (out-of-order writes) and -m 16 (coroutines) keep the
// conversion parallel; compression, when asked, is zstd unless zlib is named (older QEMU reads only zlib).
import { rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { OutputOf } from '../../config/schema.js';
import { run } from '../../exec/run.js';
import { moveInto } from './artefact.js';

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
      // streamOptimized is what VMware's OVF import, vSphere uploads and AWS/GCP image import accept
      return { fmt: 'vmdk', args: ['-o', 'subformat=streamOptimized'] };
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

export async function convertImage(raw: string, outputPath: string, format: Exclude<DiskFormat, 'raw'>, output: OutputOf<DiskFormat>, workDir: string): Promise<void> {
  const { fmt, args } = qemuImgTarget(format, output);
  const tmp = join(workDir, `converted-${basename(outputPath)}`);
  rmSync(tmp, { force: true });
  await run('qemu-img', ['convert', '-q', '-f', 'raw', '-O', fmt, '-m', '16', '-W', ...args, raw, tmp], { purpose: `convert the disk image to ${format}` });
  rmSync(raw, { force: true });
  await moveInto(tmp, outputPath);
}
