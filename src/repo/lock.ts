// One writer at a time: an O_EXCL lock file holding the writer's PID. A lock whose PID is no longer
// running (the writer was SIGKILLed) is stale and taken over; otherwise we poll until --wait runs out.
import { openSync, readFileSync, renameSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import { UserError } from '../errors.js';
import { throwIfInterrupted } from '../lifecycle.js';
import { processAlive as alive } from '../os/durable.js';


function holder(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export interface Lock {
  release(): void;
}

export async function acquireLock(path: string, waitSeconds: number, what: string): Promise<Lock> {
  const deadline = Date.now() + waitSeconds * 1000;
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        try {
          if (holder(path) === process.pid) unlinkSync(path);
        } catch {
          // already gone
        }
      };
      process.once('exit', release);
      return { release };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = holder(path);
    if (pid === undefined || !alive(pid)) {
      // Stale (or still being written by a writer that just created it: give it a moment first).
      const stale = `${path}.stale-${process.pid}`;
      await new Promise((r) => setTimeout(r, pid === undefined ? 50 : 0));
      if (holder(path) === pid) {
        try {
          renameSync(path, stale);
          unlinkSync(stale);
        } catch {
          // another waiter took it over first
        }
      }
      continue;
    }
    if (Date.now() >= deadline) {
      throw new UserError(`${what} is locked by another golden process (PID ${pid})`, {
        hint: `wait for it to finish, or give more time with --wait SECONDS; the lock file is ${path}`,
      });
    }
    throwIfInterrupted();
    await new Promise((r) => setTimeout(r, 50));
  }
}
