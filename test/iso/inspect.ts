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
