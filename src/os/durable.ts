// Small operating-system facts shared by the cache and the archive: whether a lock holder still runs,
// and flushing a directory entry so a rename survives a crash.
import { closeSync, fsyncSync, openSync } from 'node:fs';

/** Whether a process with this PID exists (EPERM means it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** fsync a directory, so the entries created or renamed in it are on disk. */
export function fsyncDir(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
