// A private mount+PID namespace that holds the mounts one piece of work needs (an overlay of cached
// layers, the chroot's /proc /sys /dev). The holder is started under `setpriv --pdeathsig SIGKILL` and
// `unshare --kill-child`, so if Golden dies for any reason (even SIGKILL) the holder dies, the kernel
// kills every process in the namespace, and every mount goes with it: a build cannot leave mounts or
// processes behind on the host. Golden reads and writes the mounted tree through /proc/PID/root.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InternalError } from '../errors.js';
import { commandLine, run, type RunOptions, type RunResult } from '../exec/run.js';
import { findTool, requireTools } from '../exec/tools.js';
import { log } from '../log/logger.js';
import { sourceFile } from '../paths.js';

export interface NamespaceOptions {
  /**
   * Read-only layers, base FIRST. With one layer and no upper, the tree is bind-mounted; with several
   * (or with an upper) they are stacked by overlayfs.
   */
  layers?: string[];
  /** Writable overlay upper directory (created if missing); what the work changes ends up here. */
  upper?: string;
  /** Overlay work directory, on the same filesystem as `upper` (created if missing). */
  work?: string;
  /** Where the tree is mounted inside the namespace; a directory made on the host, empty. */
  mountpoint?: string;
  /** Mount /proc, /sys, /dev and a /run tmpfs inside the tree, for running programs chrooted in it. */
  chrootMounts?: boolean;
  /** A label for logs. */
  label?: string;
}

export class MountNamespace implements AsyncDisposable {
  private constructor(
    private readonly child: ChildProcess,
    /** PID (host numbering) of the namespace's init process. */
    readonly nsPid: number,
    /** The mountpoint path as seen inside the namespace (undefined when nothing is mounted). */
    readonly mountpoint: string | undefined,
    private readonly ownsMountpoint: boolean,
    readonly label: string,
  ) {}

  /** The mounted tree, as a path the Golden process itself can read and write. */
  get root(): string {
    if (!this.mountpoint) throw new InternalError('this namespace has no mounted tree');
    return join(`/proc/${this.nsPid}/root`, this.mountpoint);
  }

  static async open(opts: NamespaceOptions = {}): Promise<MountNamespace> {
    requireTools(['setpriv', 'unshare', 'nsenter', 'mount'], 'to isolate build mounts');
    const layers = opts.layers ?? [];
    let mode: 'none' | 'bind' | 'overlay' = 'none';
    const args: string[] = [];
    let mountpoint: string | undefined;
    let ownsMountpoint = false;
    if (layers.length > 0) {
      mountpoint = opts.mountpoint;
      if (!mountpoint) {
        mountpoint = `/tmp/golden-ns-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
        ownsMountpoint = true;
      }
      mkdirSync(mountpoint, { recursive: true });
      if (layers.length === 1 && !opts.upper) {
        mode = 'bind';
        args.push(layers[0]!);
      } else {
        mode = 'overlay';
        // overlayfs lists lower layers top first
        const lowers = [...layers].reverse();
        if (layers.length === 1 && opts.upper === undefined) throw new InternalError('unreachable');
        args.push(lowers.join(':'));
        if (opts.upper) {
          if (!opts.work) throw new InternalError('an overlay upper directory needs a work directory');
          mkdirSync(opts.upper, { recursive: true });
          mkdirSync(opts.work, { recursive: true });
          args.push(opts.upper, opts.work);
        }
      }
    }
    const label = opts.label ?? 'namespace';
    const holder = sourceFile('rootfs/payload/holder.sh');
    const argv = ['--pdeathsig', 'SIGKILL', '--', findTool('unshare')!, '--mount', '--propagation', 'private', '--pid', '--fork', '--kill-child', '--', '/bin/sh', holder, mountpoint ?? '/', mode, ...args];
    log.debug(`$ ${commandLine('setpriv', argv)}`);
    const child = spawn(findTool('setpriv')!, argv, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GOLDEN_CHROOT_MOUNTS: opts.chrootMounts ? '1' : '0' },
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const onExit = (code: number | null) => reject(new InternalError(`the mount namespace for ${label} could not be set up (exit ${code}): ${stderr.trim()}`));
      child.once('exit', onExit);
      child.once('error', reject);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready')) {
          child.off('exit', onExit);
          resolve();
        }
      });
    });
    const pid = child.pid!;
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
    const nsPid = Number(children[0]);
    if (!Number.isInteger(nsPid) || nsPid <= 0) throw new InternalError(`cannot find the namespace init of holder ${pid}`);
    return new MountNamespace(child, nsPid, mountpoint, ownsMountpoint, label);
  }

  /** Run a host tool inside the namespace (it sees the mounted tree at `mountpoint`). */
  run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const tool = findTool(cmd);
    if (!tool) return run(cmd, args, opts); // reports the missing tool with its package
    return run('nsenter', ['--target', String(this.nsPid), '--mount', '--pid', '--', tool, ...args], { purpose: opts.purpose ?? `${cmd} (${this.label})`, ...opts });
  }

  /** Run a program chrooted into the mounted tree (needs `chrootMounts` for most programs). */
  chroot(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    if (!this.mountpoint) throw new InternalError('chroot needs a mounted tree');
    return run('nsenter', ['--target', String(this.nsPid), '--mount', '--pid', '--', findTool('chroot') ?? '/usr/sbin/chroot', this.mountpoint, cmd, ...args], {
      purpose: opts.purpose ?? `${cmd} in the image (${this.label})`,
      ...opts,
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', DEBIAN_FRONTEND: 'noninteractive', ...opts.env },
    });
  }

  /** Unmount everything by ending the namespace, and wait until it is gone. */
  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGKILL');
      await exited;
    }
    // The namespace's init was killed with its holder (--kill-child); wait until it has exited, so the
    // overlay upper directory is no longer in use when the caller moves it. A zombie (state Z) has
    // already released its mounts; who reaps it is up to the system's init, which may never do so
    // promptly in a container, so waiting for the /proc entry to vanish would cost seconds for nothing.
    for (let i = 0; i < 200; i++) {
      let stat: string;
      try {
        stat = readFileSync(`/proc/${this.nsPid}/stat`, 'utf8');
      } catch {
        break;
      }
      if (/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2))) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    if (this.ownsMountpoint && this.mountpoint) rmSync(this.mountpoint, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
