// A step's view of the image: the merged tree of the layers below plus a fresh upper directory, mounted
// in a private namespace (rootfs/namespace.ts) with /proc /sys /dev, made safe to run package scripts in:
// no service may start (policy-rc.d), the host's resolv.conf is present only while the step runs, and
// host directories (apt's .deb cache, apt lists, archives) are bind-mounted where apt looks for them, so
// they never enter a layer.
import { lstatSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunOptions, RunResult } from '../exec/run.js';
import { MountNamespace } from './namespace.js';

export interface BindMount {
  /** Directory (or file) on the host. */
  host: string;
  /** Absolute path inside the image; created if missing. */
  target: string;
  readOnly?: boolean;
}

export interface ImageRootOptions {
  /** Read-only layers, base first. */
  layers: string[];
  upper: string;
  work: string;
  mountpoint: string;
  binds?: BindMount[];
  label: string;
}

const POLICY_RC_D = '/usr/sbin/policy-rc.d';

export class ImageRoot {
  private created: string[] = [];
  private resolvConf: { content: string; created: boolean } | undefined;

  private constructor(readonly ns: MountNamespace) {}

  static async open(opts: ImageRootOptions): Promise<ImageRoot> {
    const ns = await MountNamespace.open({ layers: opts.layers, upper: opts.upper, work: opts.work, mountpoint: opts.mountpoint, chrootMounts: true, label: opts.label });
    const root = new ImageRoot(ns);
    try {
      await root.bindAll(opts.binds ?? []);
      root.guard();
    } catch (err) {
      await ns.close();
      throw err;
    }
    return root;
  }

  /** Host-visible path of an absolute path in the image. Only for paths known to hold no symlinks. */
  hostPath(imagePath: string): string {
    return join(this.ns.root, imagePath);
  }

  /** The image path as seen by tools run inside the namespace (not chrooted). */
  nsPath(imagePath: string): string {
    return join(this.ns.mountpoint!, imagePath);
  }

  async bind(b: BindMount): Promise<void> {
    await this.bindAll([b]);
  }

  /** Make every bind mount with one process in the namespace (one `sh`, not two commands per mount). */
  async bindAll(binds: readonly BindMount[]): Promise<void> {
    if (binds.length === 0) return;
    const args: string[] = [];
    for (const b of binds) {
      let isFile = false;
      try {
        isFile = !lstatSync(b.host).isDirectory();
      } catch {
        isFile = false;
      }
      args.push(isFile ? 'file' : 'dir', b.readOnly ? 'ro' : 'rw', b.host, this.nsPath(b.target));
    }
    const script = [
      'set -eu',
      'while [ $# -gt 0 ]; do',
      '  if [ "$1" = file ]; then mkdir -p "$(dirname "$4")"; [ -e "$4" ] || : > "$4"; else mkdir -p "$4"; fi',
      '  if [ "$2" = ro ]; then mount --bind -o ro "$3" "$4"; else mount --bind "$3" "$4"; fi',
      '  shift 4',
      'done',
    ].join('\n');
    await this.ns.run('sh', ['-c', script, 'sh', ...args], { purpose: `bind-mount ${binds.map((b) => b.target).join(', ')} into the image` });
  }

  /** Keep services from starting and give package scripts the host's name resolution. */
  private guard(): void {
    const policy = this.hostPath(POLICY_RC_D);
    if (!exists(policy)) {
      writeFileSync(policy, '#!/bin/sh\n# Golden: no service starts while the image is built\nexit 101\n', { mode: 0o755 });
      this.created.push(policy);
    }
    const resolv = this.hostPath('/etc/resolv.conf');
    let hostResolv = '';
    try {
      hostResolv = readFileSync('/etc/resolv.conf', 'utf8');
    } catch {
      return;
    }
    let st;
    try {
      st = lstatSync(resolv);
    } catch {
      st = undefined;
    }
    if (st === undefined) {
      writeFileSync(resolv, hostResolv);
      this.resolvConf = { content: hostResolv, created: true };
    }
    // A resolv.conf the image already has (its own, or a symlink into /run) is left alone.
  }

  /**
   * Undo guard(): the step's result must not keep the policy-rc.d or the host's resolv.conf. A file that
   * existed only in this step's upper directory disappears without leaving a whiteout.
   */
  unguard(): void {
    for (const p of this.created.splice(0)) {
      try {
        unlinkSync(p);
      } catch {
        // the step removed it itself
      }
    }
    if (this.resolvConf?.created) {
      const resolv = this.hostPath('/etc/resolv.conf');
      try {
        const st = lstatSync(resolv);
        if (st.isFile() && readFileSync(resolv, 'utf8') === this.resolvConf.content) unlinkSync(resolv);
      } catch {
        // removed by the step
      }
      this.resolvConf = undefined;
    }
  }

  chroot(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return this.ns.chroot(cmd, args, opts);
  }

  /** Run a shell snippet in the image: `sh -c SCRIPT sh ARGS...`. */
  sh(script: string, args: readonly string[] = [], opts: RunOptions = {}): Promise<RunResult> {
    return this.ns.chroot('/bin/sh', ['-c', `set -eu\n${script}`, 'sh', ...args], opts);
  }

  exists(imagePath: string): boolean {
    return exists(this.hostPath(imagePath));
  }

  async close(): Promise<void> {
    await this.ns.close();
  }
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
