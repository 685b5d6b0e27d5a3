// Interrupts and cleanups. Every resource a command acquires (namespace holder, temp dir, server) is
// registered on a CleanupStack as it is made and released in reverse order on success, failure, SIGINT
// and SIGTERM. A SIGKILL cannot be caught: that case is handled by the kernel (see rootfs/namespace.ts).
import { InterruptedError } from './errors.js';
import { log } from './log/logger.js';

const controller = new AbortController();
let installed = false;

/** Aborted when the user presses Ctrl-C or the process gets SIGTERM; pass it to long work. */
export const interruptSignal: AbortSignal = controller.signal;

export function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count++;
    if (count > 2) process.exit(130); // the user insists; cleanups have had their chance
    log.warn(`${signal} received: stopping and cleaning up (press Ctrl-C twice more to exit at once)`);
    if (!controller.signal.aborted) controller.abort(new InterruptedError(signal));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  process.on('SIGHUP', handler);
}

export function throwIfInterrupted(): void {
  if (controller.signal.aborted) throw controller.signal.reason;
}

type Cleanup = () => Promise<void> | void;

/** Releases what was registered, last first; a failing cleanup is logged and the others still run. */
export class CleanupStack implements AsyncDisposable {
  private readonly items: { label: string; fn: Cleanup }[] = [];

  defer(label: string, fn: Cleanup): void {
    this.items.push({ label, fn });
  }

  /** Forget a registered cleanup (the resource was handed over, e.g. a temp dir renamed into place). */
  release(label: string): void {
    const i = this.items.findIndex((it) => it.label === label);
    if (i >= 0) this.items.splice(i, 1);
  }

  async dispose(): Promise<void> {
    while (this.items.length > 0) {
      const item = this.items.pop()!;
      try {
        await item.fn();
      } catch (err) {
        log.warn(`cleanup "${item.label}" failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
