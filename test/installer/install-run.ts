// One installation under QEMU, as the e2e test and bench/install both need it: boot the ISO with a blank
// disk, let the automatic installer run, wait for it to power off, boot the disk alone, type the
// passphrase on the serial console, read the installed system's report.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Firmware } from '../../src/vm/qemu.js';
import { VirtualMachine } from '../../src/vm/qemu.js';
import { assertBuilt, buildFixture, testCacheDir } from '../fixtures/build.js';
import { COMPANY_URL, installerConfigText } from './fixture-config.js';

export interface InstallConfigOptions {
  encrypt: boolean;
  /** Guided mode: the passphrase and the user's password are asked on the console. */
  guided?: boolean;
}

/**
 * The config of an installable ISO. The installation is chosen by a kernel argument on the disc's default
 * entry (golden.install=auto|guided), so no boot menu has to be driven over the serial line. Both modes
 * fix locale, time zone and keyboard, so they need the same packages: one packages layer serves both.
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
    // the lowest argon2id cost cryptsetup takes: unlocking under TCG takes seconds instead of minutes
    '    kdf: {memoryMiB: 32, iterationTimeMs: 100}',
    '  user: {name: tech}',
    '  locale: C.UTF-8',
    '  timezone: Etc/UTC',
    '  keyboard: {layout: us}',
    '  reboot: false',
  ].join('\n');
  // Debian's kernel zeroes every page it allocates (init_on_alloc); under TCG clearing pages is so slow
  // that the page cache filling during the copy stalled the guest for tens of seconds: off, in tests only
  const kernel = { kernel: { commandLine: ['console=ttyS0,115200', 'init_on_alloc=0'] } };
  const iso = { iso: { kernelCommandLine: { extraCommandLine: [`golden.install=${opts.guided ? 'guided' : 'auto'}`] } } };
  const { text } = await installerConfigText(dir, { installer, noKernel: true });
  return `${text}\n${stringify(kernel)}\n${stringify(iso)}`;
}

/** Build the installable ISO on the shared test cache; its path. */
export async function buildInstallIso(workDir: string, opts: InstallConfigOptions & { outputName: string }): Promise<string> {
  const dir = join(workDir, 'config');
  mkdirSync(dir, { recursive: true });
  const built = await buildFixture(await installConfig(dir, opts), { dir, outputs: [{ type: 'iso' }], outputDir: join(testCacheDir(), opts.outputName) });
  assertBuilt(built);
  const iso = built.outputs['iso']?.find((f) => f.endsWith('.iso')) ?? '';
  if (!existsSync(iso)) throw new Error(`the build made no ISO: ${JSON.stringify(built.outputs)}`);
  return iso;
}

export interface Installed {
  /** The installed disk (qcow2). */
  disk: string;
  /** Milliseconds from starting QEMU on the ISO to the installer's success line. */
  installMs: number;
  /** Milliseconds per installer step, from its console lines. */
  steps: Record<string, number>;
  /** The installer's console line naming the image's and the installed system's machine-id. */
  machineIds: { image: string; installed: string };
  installConsole: string;
}

export interface Booted {
  /** Milliseconds from starting QEMU on the installed disk to its login prompt. */
  bootMs: number;
  report: Record<string, string[]>;
  bootConsole: string;
}

export type InstallRun = Installed & Booted;

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

/**
 * An install under TCG takes 10-18 minutes (docs/installer.md): part of every full run, but
 * GOLDEN_INSTALL_E2E=0 leaves them out of a local run, and they say so when they skip.
 */
export const INSTALL_E2E_SKIP: string | false = process.env['GOLDEN_INSTALL_E2E'] === '0' ? 'GOLDEN_INSTALL_E2E=0 leaves out the installs under QEMU (8-10 minutes each)' : false;

// under TCG on a busy 2-core host everything is slow: generous limits, they only bound a hang
const HANG_MS = 90 * 60_000;

/** Boot the ISO with a blank disk and let the installer run (automatic, or guided with the answers typed); it powers off. */
export async function install(opts: { iso: string; firmware: Firmware; workDir: string; guided?: { passphrase: string }; timeoutMs?: number }): Promise<Installed> {
  const timeout = opts.timeoutMs ?? HANG_MS;
  const disk = join(opts.workDir, `target-${opts.firmware}.qcow2`);
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '8G']);
  const started = Date.now();
  await using vm = await VirtualMachine.start({ image: opts.iso, firmware: opts.firmware, extraDisks: [disk], memoryMiB: 2048, serialLog: join(opts.workDir, `install-${opts.firmware}.log`) });
  if (opts.guided) await answerGuided(vm, opts.guided.passphrase, timeout);
  const m = await vm.waitFor(/GOLDEN-INSTALL-(SUCCESS|FAILED)/, timeout);
  if (m[1] === 'FAILED') {
    await vm.waitFor(/nothing was reported as installed/, 60_000).catch(() => undefined);
    throw new Error(`the installer failed:\n${vm.tail(40)}`);
  }
  const installMs = Date.now() - started;
  await vm.waitForExit(10 * 60_000);
  const installConsole = vm.console;
  const ids = /machine-id: image '([^']*)', installed '([^']*)'/.exec(installConsole);
  return { disk, installMs, steps: parseSteps(installConsole), machineIds: { image: ids?.[1] ?? '', installed: ids?.[2] ?? '' }, installConsole };
}

/** Boot the installed disk alone, give the passphrase (a wrong one first when asked to), read the report. */
export async function bootInstalled(opts: { disk: string; firmware: Firmware; workDir: string; passphrase?: string; wrongPassphrase?: string; timeoutMs?: number }): Promise<Booted> {
  const timeout = opts.timeoutMs ?? HANG_MS;
  const bootStart = Date.now();
  await using vm = await VirtualMachine.start({ image: opts.disk, firmware: opts.firmware, memoryMiB: 2048, serialLog: join(opts.workDir, `boot-${opts.firmware}.log`) });
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
  return { bootMs: Date.now() - bootStart, report: parseReport(vm.console), bootConsole: vm.console };
}

/** Install automatically, then boot the installed disk with the same firmware (bench/install). */
export async function installAndBoot(opts: { iso: string; firmware: Firmware; workDir: string; passphrase?: string }): Promise<InstallRun> {
  const installed = await install(opts);
  return { ...installed, ...(await bootInstalled({ ...opts, disk: installed.disk })) };
}

/** What every LUKS install must show in the installed system's report. */
export function assertInstalled(installed: Installed, booted: Booted): void {
  const r = booted.report;
  assert.deepEqual(r['root-luks2'], ['yes'], `root on LUKS2:\n${booted.bootConsole.slice(-3000)}`);
  assert.deepEqual(r['company-archive-signed'], ['yes'], `company archive with Signed-By: ${r['apt-source']?.join('; ')}`);
  assert.ok(r['apt-source']?.some((s) => s.includes(COMPANY_URL) && s.endsWith('signed-by=yes')));
  assert.deepEqual(r['unattended-upgrades'], ['yes']);
  assert.deepEqual(r['live-boot'], ['absent']);
  assert.deepEqual(r['cdrom-sources'], ['absent']);
  const id = r['machine-id']?.[0] ?? '';
  assert.match(id, /^[0-9a-f]{32}$/);
  assert.equal(installed.machineIds.installed, id, 'the installed system keeps the machine-id the installer gave it');
  assert.notEqual(id, installed.machineIds.image, "the machine-id is not the image's");
  assert.match(r['hostname']?.[0] ?? '', /^acme-[0-9a-z-]+$/);
}
