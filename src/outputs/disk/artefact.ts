// Finished artefacts: moved into place atomically (keeping holes when they must be copied), with the
// size and sha256 the build reports.
import { createHash } from 'node:crypto';
import { createReadStream, renameSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { run } from '../../exec/run.js';
import type { OutputFile } from '../types.js';

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * 1024 * 1024 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

export async function outputFile(path: string): Promise<OutputFile> {
  return { path, bytes: statSync(path).size, sha256: await sha256File(path) };
}

/** Move a finished artefact into place; across filesystems, copy keeping holes. */
export async function moveInto(from: string, to: string): Promise<void> {
  const tmp = join(dirname(to), `.${basename(to)}.tmp-${process.pid}`);
  try {
    renameSync(from, to);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
  }
  await run('cp', ['--sparse=always', from, tmp], { purpose: 'copy the image into place' });
  renameSync(tmp, to);
}

