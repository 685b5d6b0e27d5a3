// Finished artefacts: moved into place atomically (keeping holes when they must be copied), with the
// size and sha256 the build reports.
import { createHash } from 'node:crypto';
import { createReadStream, linkSync, renameSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
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

/**
 * Unlinking big files that can wait (a work image, the artefact a rebuild replaces) while the build goes
 * on: freeing a GiB takes seconds on a file system mounted with discard, time the sha256 of the new
 * artefact can use. `settled()` must be awaited before the work directory is removed.
 */
export class BackgroundRemoval {
  private readonly pending: Promise<void>[] = [];

  remove(path: string): void {
    this.pending.push(rm(path, { force: true }));
  }

  async settled(): Promise<void> {
    await Promise.all(this.pending.splice(0));
  }
}

/**
 * Move a finished artefact into place; across filesystems, copy keeping holes. The file it replaces
 * is first linked into `workDir` (when on the same file system), so the rename does not wait for its
 * blocks to be freed: `later` removes that link, and the work directory's own removal covers a kill.
 */
export async function moveInto(from: string, to: string, workDir: string, later: BackgroundRemoval): Promise<void> {
  const old = join(workDir, `replaced-${basename(to)}`);
  let kept = false;
  try {
    linkSync(to, old);
    kept = true;
  } catch {
    // nothing to replace, or another file system: the rename frees the old file itself
  }
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    const tmp = join(dirname(to), `.${basename(to)}.tmp-${process.pid}`);
    await run('cp', ['--sparse=always', from, tmp], { purpose: 'copy the image into place' });
    renameSync(tmp, to);
    later.remove(from);
  }
  if (kept) later.remove(old);
}

