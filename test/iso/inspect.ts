// Looking into a built ISO without mounting it: xorriso's reports and file extraction (osirrox).
import { mkdirSync } from 'node:fs';
import { run } from '../../src/exec/run.js';

export async function xorrisoReport(iso: string, what: 'el_torito' | 'system_area'): Promise<string> {
  const r = await run('xorriso', ['-indev', iso, `-report_${what}`, 'plain'], { purpose: 'reading the ISO' });
  return r.stdout + r.stderr;
}

/** Copy paths of the ISO into `dir` (everything when no path is given). */
export async function extract(iso: string, dir: string, paths: string[] = ['/']): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const args = ['-osirrox', 'on', '-indev', iso];
  for (const p of paths) args.push('-extract', p, p === '/' ? dir : `${dir}${p}`);
  await run('xorriso', args, { purpose: 'extracting files from the ISO' });
}

export async function listDisc(iso: string, path: string): Promise<string[]> {
  const r = await run('xorriso', ['-indev', iso, '-lsl', path], { purpose: 'listing the ISO' });
  return r.stdout.split('\n').filter((l) => /^[-dl]/.test(l)).map((l) => l.split(/\s+/).pop()!.replace(/^'|'$/g, ''));
}

/**
 * The files of a zstd-compressed newc cpio initramfs (what initramfs-tools writes with COMPRESS=zstd and
 * no early microcode archive), name → content. Only what tests need to read; the host has no cpio.
 */
export async function readInitramfs(file: string): Promise<Map<string, Buffer>> {
  const data = (await run('zstd', ['-dc', file], { purpose: 'decompressing the initramfs', binary: true })).stdoutBuffer!;
  const files = new Map<string, Buffer>();
  const align = (n: number) => (n + 3) & ~3;
  let at = 0;
  while (at + 110 <= data.length) {
    const header = data.subarray(at, at + 110).toString('latin1');
    if (!header.startsWith('070701')) throw new Error(`${file}: no newc cpio header at byte ${at}`);
    const field = (i: number) => parseInt(header.slice(6 + i * 8, 14 + i * 8), 16);
    const size = field(6);
    const nameSize = field(11);
    const name = data.subarray(at + 110, at + 110 + nameSize - 1).toString('utf8');
    const start = align(at + 110 + nameSize);
    if (name === 'TRAILER!!!') break;
    files.set(name.replace(/^\.\//, ''), data.subarray(start, start + size));
    at = align(start + size);
  }
  return files;
}
