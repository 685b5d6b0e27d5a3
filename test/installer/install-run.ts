// One installation under QEMU, as the e2e test and bench/install both need it: boot the ISO with a blank
// disk, let the automatic installer run, wait for it to power off, boot the disk alone, type the
// passphrase on the serial console, read the installed system's report.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Firmware } from '../../src/vm/qemu.js';
import { VirtualMachine } from '../../src/vm/qemu.js';
import { repoRoot } from '../helpers.js';
import { installerConfigText } from './fixture-config.js';

/** Whether the ISO output puts the installer on the disc by itself (the seam of src/installer/iso-parts.ts is wired). */
export function isoIncludesInstaller(): boolean {
  const dirs = [join(repoRoot, 'src', 'outputs'), join(repoRoot, 'src', 'build'), join(repoRoot, 'src', 'isobuild')];
  const walk = (dir: string): string[] => {
    let out: string[] = [];
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return [];
    }
    for (const n of names) {
      const p = join(dir, n);
      if (statSync(p).isDirectory()) out = out.concat(walk(p));
      else if (n.endsWith('.ts')) out.push(p);
    }
    return out;
  };
  return dirs.flatMap(walk).some((f) => readFileSync(f, 'utf8').includes('installerIsoParts('));
}

export interface InstallConfigOptions {
  encrypt: boolean;
  /** Guided mode: the passphrase and the user's password are asked on the console. */
  guided?: boolean;
}

/**
 * The config of an installable ISO. The automatic installation is chosen by a kernel argument on the
 * disc's default entry (golden.install=auto), so no menu has to be driven over the serial line. Until the
 * ISO output takes the installer's parts through the seam, they are added as ordinary files and packages.
 */
export async function installConfig(dir: string, opts: InstallConfigOptions): Promise<string> {
  const installer = [
    'installer:',
    `  mode: ${opts.guided ? 'guided' : 'unattended'}`,
    '  hostname: acme-{serial}',
    '  encryption:',
    `    enabled: ${opts.encrypt}`,
    `    passphrase: ${opts.guided ? 'prompt' : '{file: passphrase.txt}'}`,
    '    minLength: 10',
    '  user: {name: tech}',
    '  locale: C.UTF-8',
    '  timezone: Etc/UTC',
    '  keyboard: {layout: us}',
    '  reboot: false',
  ].join('\n');
  let { text } = await installerConfigText(dir, { installer, noKernel: true });
  text += `\n${stringify({ iso: { kernelCommandLine: { extraCommandLine: [`golden.install=${opts.guided ? 'guided' : 'auto'}`] } } })}`;
  if (!isoIncludesInstaller()) {
    const { loadConfig } = await import('../../src/config/load.js');
    const { installerIsoParts } = await import('../../src/installer/iso-parts.js');
    const { writeFileSync, mkdirSync } = await import('node:fs');
    const { dirname } = await import('node:path');
    const probe = join(dir, 'probe.yaml');
    writeFileSync(probe, text);
    const parts = installerIsoParts((await loadConfig(probe)).config)!;
    const files = parts.files.map((f) => {
      const source = join(dir, 'installer-parts', f.path);
      mkdirSync(dirname(source), { recursive: true });
      writeFileSync(source, f.content);
      return { source, destination: f.path, mode: `0${f.mode.toString(8)}` };
    });
    text += `\n${stringify({ packages: { install: parts.imagePackages }, files })}`;
  }
  return text;
}

export interface InstallRun {
  /** Milliseconds from starting QEMU on the ISO to the installer's success line. */
  installMs: number;
  /** Milliseconds per installer step, from its console lines. */
  steps: Record<string, number>;
  /** Milliseconds from starting QEMU on the installed disk to its login prompt. */
  bootMs: number;
  report: Record<string, string[]>;
  /** The installer's console line naming the image's and the installed system's machine-id. */
  machineIds: { image: string; installed: string };
  installConsole: string;
  bootConsole: string;
}

function parseSteps(console: string): Record<string, number> {
  const steps: Record<string, number> = {};
  for (const m of console.matchAll(/golden-installer: \[([a-z-]+)\] done in (\d+)\.(\d{3}) s/g)) steps[m[1]!] = Number(m[2]) * 1000 + Number(m[3]);
  return steps;
}

export function parseReport(console: string): Record<string, string[]> {
  const report: Record<string, string[]> = {};
  for (const m of console.matchAll(/golden-report: ([a-z0-9-]+)=([^\r\n]*)/g)) (report[m[1]!] ??= []).push(m[2]!);
  return report;
}

/** Answers the guided installer's questions on the serial console, as a technician would. */
async function answerGuided(vm: VirtualMachine, passphrase: string, timeout: number): Promise<void> {
  let mark = 0;
  const ask = async (question: RegExp, answer: string) => {
    await vm.waitFor(question, timeout, mark);
    // let whiptail finish drawing before typing
    await new Promise((r) => setTimeout(r, 3000));
    mark = vm.console.length;
    vm.send(answer);
  };
  // the disk question defaults to No: Tab to Yes, then Enter
  await ask(/EVERYTHING on \/dev\/vda will be erased/, '\t\r');
  await ask(/Passphrase for the encrypted disk/, 'too short\r');
  await ask(/Refused: the passphrase must have at least 10 characters/, '\r');
  await ask(/Passphrase for the encrypted disk/, `${passphrase}\r`);
  await ask(/The same passphrase again/, `${passphrase}\r`);
  await ask(/Host name of this computer/, '\r');
  await ask(/Password for tech/, 'tech password\r');
  await ask(/The same password again/, 'tech password\r');
}

export async function installAndBoot(opts: {
  iso: string;
  firmware: Firmware;
  workDir: string;
  passphrase?: string;
  /** Type this wrong passphrase first and expect it to be refused. */
  wrongPassphrase?: string;
  timeoutMs?: number;
  /** Drive the guided installer (the ISO boots with golden.install=guided). */
  guided?: boolean;
}): Promise<InstallRun> {
  // under TCG on a busy 2-core host the copy alone took 23 minutes: generous limits, they only bound a hang
  const timeout = opts.timeoutMs ?? 120 * 60_000;
  const disk = join(opts.workDir, `target-${opts.firmware}.qcow2`);
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '8G']);

  const started = Date.now();
  let installConsole = '';
  let installMs = 0;
  {
    await using vm = await VirtualMachine.start({ image: opts.iso, firmware: opts.firmware, extraDisks: [disk], memoryMiB: 2048, serialLog: join(opts.workDir, `install-${opts.firmware}.log`) });
    if (opts.guided) await answerGuided(vm, opts.passphrase ?? '', timeout);
    const m = await vm.waitFor(/GOLDEN-INSTALL-(SUCCESS|FAILED)/, timeout);
    if (m[1] === 'FAILED') {
      await vm.waitFor(/nothing was reported as installed/, 60_000).catch(() => undefined);
      throw new Error(`the installer failed:\n${vm.tail(40)}`);
    }
    installMs = Date.now() - started;
    await vm.waitForExit(10 * 60_000);
    installConsole = vm.console;
  }
  const ids = /machine-id: image '([^']*)', installed '([^']*)'/.exec(installConsole);

  const bootStart = Date.now();
  await using vm = await VirtualMachine.start({ image: disk, firmware: opts.firmware, memoryMiB: 2048, serialLog: join(opts.workDir, `boot-${opts.firmware}.log`) });
  if (opts.passphrase !== undefined) {
    await vm.waitFor(/Please unlock disk root_crypt/, timeout);
    if (opts.wrongPassphrase !== undefined) {
      const at = vm.console.length;
      vm.send(`${opts.wrongPassphrase}\r`);
      // cryptroot says the key was refused and asks again
      await vm.waitFor(/Please unlock disk root_crypt/, 10 * 60_000, at);
      if (/golden-report:/.test(vm.console)) throw new Error('the wrong passphrase unlocked the disk');
    }
    vm.send(`${opts.passphrase}\r`);
  }
  await vm.waitFor(/golden-report: done/, timeout);
  await vm.waitFor(/login:/, 10 * 60_000);
  const bootMs = Date.now() - bootStart;
  const bootConsole = vm.console;
  return {
    installMs,
    steps: parseSteps(installConsole),
    bootMs,
    report: parseReport(bootConsole),
    machineIds: { image: ids?.[1] ?? '', installed: ids?.[2] ?? '' },
    installConsole,
    bootConsole,
  };
}
