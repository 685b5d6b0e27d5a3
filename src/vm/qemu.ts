// Boots a Golden output in QEMU: BIOS (SeaBIOS), UEFI (OVMF) or UEFI with Secure Boot enforced and
// Microsoft's keys enrolled. The serial console is the VM's stdio, so callers can wait for text on it
// and type into it. Used by `golden run` and by the tests, so both boot images the same way.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, createWriteStream, existsSync, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { UserError } from '../errors.js';
import { commandLine } from '../exec/run.js';
import { findTool, requireTools } from '../exec/tools.js';
import { log } from '../log/logger.js';

export type Firmware = 'bios' | 'uefi' | 'secure-boot';

export interface VmOptions {
  /** A disk image (raw/qcow2/vmdk/vhd/vhdx) or an ISO. */
  image: string;
  firmware?: Firmware;
  memoryMiB?: number;
  cpus?: number;
  /** Further drives: blank install targets, cloud-init seed disks. */
  extraDisks?: string[];
  /** Boot the ISO with these disks attached but boot from the CD. Detected from the extension when unset. */
  asCdrom?: boolean;
  /** Discard writes to the main image (QEMU -snapshot). */
  snapshot?: boolean;
  /** Give the guest user-mode networking (off by default: builds and tests need no network). */
  network?: boolean;
  /** Where the serial console output is copied to (besides being available to waitFor). */
  serialLog?: string;
  /** Accelerator; `tcg` unless KVM is usable. */
  accel?: 'tcg' | 'kvm';
  /** Open QEMU's window besides the serial console (golden run on a desktop); default: no display. */
  display?: boolean;
}

const OVMF_DIR = '/usr/share/OVMF';

export function kvmUsable(): boolean {
  // KVM is only worth trying when the device exists; on these machines it exists but does not work,
  // so it must be asked for explicitly (GOLDEN_KVM=1).
  return process.env['GOLDEN_KVM'] === '1' && existsSync('/dev/kvm');
}

function imageFormat(path: string): string {
  const ext = extname(path).toLowerCase();
  switch (ext) {
    case '.qcow2':
      return 'qcow2';
    case '.vmdk':
      return 'vmdk';
    case '.vhd':
      return 'vpc';
    case '.vhdx':
      return 'vhdx';
    default:
      return 'raw';
  }
}

/** The QEMU command line for these options (pure; `varsFile` is the writable UEFI variable store). */
export function qemuCommand(opts: VmOptions, varsFile?: string): { cmd: string; args: string[] } {
  const firmware = opts.firmware ?? 'bios';
  const accel = opts.accel ?? (kvmUsable() ? 'kvm' : 'tcg');
  const args: string[] = [];
  if (firmware === 'secure-boot') {
    args.push('-machine', 'q35,smm=on', '-global', 'driver=cfi.pflash01,property=secure,value=on');
    args.push('-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${join(OVMF_DIR, 'OVMF_CODE_4M.ms.fd')}`);
    args.push('-drive', `if=pflash,format=raw,unit=1,file=${varsFile ?? join(OVMF_DIR, 'OVMF_VARS_4M.ms.fd')}`);
  } else if (firmware === 'uefi') {
    args.push('-machine', 'q35');
    args.push('-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${join(OVMF_DIR, 'OVMF_CODE_4M.fd')}`);
    args.push('-drive', `if=pflash,format=raw,unit=1,file=${varsFile ?? join(OVMF_DIR, 'OVMF_VARS_4M.fd')}`);
  } else {
    args.push('-machine', 'pc');
  }
  args.push('-accel', accel === 'tcg' ? 'tcg,thread=multi' : 'kvm');
  // TCG's default CPU model (qemu64) lacks AES-NI, SSE4 and AVX, so the guest falls back to slow generic
  // code for crypto, compression and copies; `max` offers every instruction TCG emulates (measured: a
  // LUKS copy 2.9x faster). KVM passes the host CPU through. But not ERMS/FSRM: with them the guest
  // kernel clears pages and copies to and from user space with `rep stosb`/`rep movsb`, which TCG
  // (7.2) runs one byte per translated-block pass (measured under qemu-x86_64: 45 MB/s, against 400 MB/s
  // for `rep stosq` and 5 GB/s for a plain loop): page clearing alone stalled the live system for seconds.
  args.push('-cpu', accel === 'tcg' ? 'max,erms=off,fsrm=off' : 'host');
  args.push('-m', String(opts.memoryMiB ?? 1024), '-smp', String(opts.cpus ?? 2));
  const iso = opts.asCdrom ?? extname(opts.image).toLowerCase() === '.iso';
  if (iso) {
    args.push('-drive', `file=${opts.image},media=cdrom,readonly=on,if=none,id=cd0`, '-device', 'ide-cd,drive=cd0,bootindex=0');
  } else {
    args.push('-drive', `file=${opts.image},format=${imageFormat(opts.image)},if=virtio${opts.snapshot ? ',snapshot=on' : ''}`);
  }
  for (const disk of opts.extraDisks ?? []) args.push('-drive', `file=${disk},format=${imageFormat(disk)},if=virtio`);
  args.push(...(opts.network ? ['-nic', 'user,model=virtio-net-pci'] : ['-nic', 'none']));
  args.push(...(opts.display ? ['-vga', 'std'] : ['-display', 'none', '-vga', 'none']), '-serial', 'stdio', '-monitor', 'none', '-no-reboot');
  return { cmd: 'qemu-system-x86_64', args };
}

export class VirtualMachine implements AsyncDisposable {
  private output = '';
  private waiters: { re: RegExp; from: number; resolve: (m: RegExpExecArray) => void }[] = [];
  private exited: Promise<number | null>;
  private logStream: WriteStream | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly commandLine: string,
    private readonly scratch: string,
    serialLog: string | undefined,
  ) {
    if (serialLog) this.logStream = createWriteStream(serialLog);
    child.stdout!.on('data', (d: Buffer) => this.onData(d.toString('latin1')));
    child.stderr!.on('data', (d: Buffer) => this.onData(d.toString('latin1')));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static async start(opts: VmOptions): Promise<VirtualMachine> {
    requireTools(['qemu-system-x86_64'], 'to boot images');
    if (!existsSync(opts.image)) throw new UserError(`${opts.image}: no such image`, { hint: 'build it first with golden build' });
    const scratch = mkdtempSync(join(tmpdir(), 'golden-vm-'));
    let varsFile: string | undefined;
    const firmware = opts.firmware ?? 'bios';
    if (firmware !== 'bios') {
      // UEFI writes to its variable store; each VM gets its own copy so the shipped one stays pristine
      varsFile = join(scratch, 'OVMF_VARS.fd');
      copyFileSync(join(OVMF_DIR, firmware === 'secure-boot' ? 'OVMF_VARS_4M.ms.fd' : 'OVMF_VARS_4M.fd'), varsFile);
    }
    const { cmd, args } = qemuCommand(opts, varsFile);
    const line = commandLine(cmd, args);
    log.info(`$ ${line}`);
    // setpriv ties QEMU's life to ours: if Golden (or a test) dies, the VM does not run on orphaned
    const child = spawn(findTool('setpriv')!, ['--pdeathsig', 'SIGKILL', '--', findTool(cmd)!, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    return new VirtualMachine(child, line, scratch, opts.serialLog);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Everything the console printed so far. */
  get console(): string {
    return this.output;
  }

  private onData(text: string): void {
    this.output += text;
    this.logStream?.write(text);
    for (const w of [...this.waiters]) {
      w.re.lastIndex = 0;
      const m = w.re.exec(this.output.slice(w.from));
      if (m) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  }

  /**
   * Wait until the console shows `pattern` (searching from `from`, default: everything so far).
   * Rejects with the console tail when the VM exits or the timeout passes.
   */
  async waitFor(pattern: RegExp | string, timeoutMs: number, from = 0): Promise<RegExpExecArray> {
    const re = typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern;
    const existing = re.exec(this.output.slice(from));
    if (existing) return existing;
    let timer: NodeJS.Timeout | undefined;
    let waiter: (typeof this.waiters)[number] | undefined;
    try {
      return await Promise.race([
        new Promise<RegExpExecArray>((resolve) => {
          waiter = { re, from, resolve };
          this.waiters.push(waiter);
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000}s waiting for ${re} on the serial console; last output:\n${this.tail()}`)), timeoutMs);
        }),
        this.exited.then((code) => {
          throw new Error(`the VM exited (code ${code}) before ${re} appeared on the serial console; last output:\n${this.tail()}`);
        }),
      ]);
    } finally {
      if (timer) clearTimeout(timer);
      if (waiter) this.waiters = this.waiters.filter((w) => w !== waiter);
    }
  }

  /** Type on the serial console. */
  send(text: string): void {
    this.child.stdin!.write(text);
  }

  tail(lines = 30): string {
    return this.output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').split(/\r?\n/).slice(-lines).join('\n');
  }

  /** Wait for the VM to power off by itself. */
  async waitForExit(timeoutMs: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`the VM did not power off within ${timeoutMs / 1000}s; last output:\n${this.tail()}`)), timeoutMs);
        }),
      ]);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /** Stop the VM (the QEMU process we started, by its PID) and remove its scratch files. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    this.logStream?.end();
    rmSync(this.scratch, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
