// `golden run IMAGE`: boot any Golden disk image or ISO in QEMU (software emulation unless KVM works),
// with the serial console on this terminal, and print the QEMU command so it can be rerun or tweaked.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { withExamples } from './help.js';

interface RunOpts {
  uefi?: boolean;
  secureBoot?: boolean;
  memory: string;
  cpus: string;
  disk: string[];
  serial?: boolean;
  network?: boolean;
  keep?: boolean;
  dryRun?: boolean;
}

const BOOTABLE = new Set(['.raw', '.img', '.qcow2', '.vmdk', '.vhd', '.vhdx', '.iso']);

function positiveInt(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${option} wants a positive whole number, not "${value}"`);
  return n;
}

/** The cloud-init seed disk a disk output with cloudInit.placement: seed-disk writes beside the image. */
export function seedDiskFor(image: string): string | undefined {
  const seed = join(dirname(image), `${basename(image, extname(image))}-seed.img`);
  return existsSync(seed) ? seed : undefined;
}

async function runImage(image: string, opts: RunOpts): Promise<void> {
  const { VirtualMachine, qemuCommand } = await import('../vm/qemu.js');
  const { commandLine } = await import('../exec/run.js');
  const { log } = await import('../log/logger.js');
  const ext = extname(image).toLowerCase();
  if (!existsSync(image)) throw new UsageError(`${image}: no such file`, { hint: 'build it first with golden build' });
  if (statSync(image).isDirectory() || !BOOTABLE.has(ext)) {
    throw new UsageError(`${image} is not a bootable image (golden run boots raw, qcow2, vmdk, vhd, vhdx and iso outputs)`, {
      hint: 'an oci output runs with a container engine, e.g. podman run oci:DIR; a tar output is a root filesystem',
    });
  }
  const extraDisks = [...opts.disk];
  const seed = seedDiskFor(image);
  if (seed && !extraDisks.includes(seed)) extraDisks.push(seed);
  for (const d of extraDisks) if (!existsSync(d)) throw new UsageError(`--disk ${d}: no such file`, { hint: 'make a blank disk with: qemu-img create -f qcow2 FILE 20G' });
  const vmOpts = {
    image,
    firmware: opts.secureBoot ? ('secure-boot' as const) : opts.uefi ? ('uefi' as const) : ('bios' as const),
    memoryMiB: positiveInt(opts.memory, '--memory'),
    cpus: positiveInt(opts.cpus, '--cpus'),
    extraDisks,
    snapshot: !opts.keep,
    network: opts.network === true,
    display: opts.serial !== true && !!process.env['DISPLAY'],
  };
  if (opts.dryRun) {
    const { cmd, args } = qemuCommand(vmOpts, vmOpts.firmware === 'bios' ? undefined : 'OVMF_VARS.fd');
    if (vmOpts.firmware !== 'bios') process.stdout.write(`# first copy the UEFI variable store: cp /usr/share/OVMF/${vmOpts.firmware === 'secure-boot' ? 'OVMF_VARS_4M.ms.fd' : 'OVMF_VARS_4M.fd'} OVMF_VARS.fd\n`);
    process.stdout.write(`${commandLine(cmd, args)}\n`);
    return;
  }
  const vm = await VirtualMachine.start(vmOpts);
  process.stdout.write(`${vm.commandLine}\n`);
  log.info(`serial console below; press Ctrl-] to stop the VM${opts.keep ? '' : ' (changes to the image are discarded; --keep keeps them)'}`);
  const stdin = process.stdin;
  const raw = stdin.isTTY === true;
  if (raw) stdin.setRawMode(true);
  let printed = 0;
  const timer = setInterval(() => {
    const text = vm.console;
    if (text.length > printed) {
      process.stdout.write(text.slice(printed));
      printed = text.length;
    }
  }, 50);
  const onKey = (d: Buffer) => {
    if (d.includes(0x1d)) void vm.stop();
    else vm.send(d.toString('latin1'));
  };
  stdin.on('data', onKey);
  try {
    await vm.waitForExit(7 * 24 * 3600_000);
  } catch {
    // stopped with Ctrl-]
  } finally {
    clearInterval(timer);
    process.stdout.write(vm.console.slice(printed));
    stdin.off('data', onKey);
    if (raw) stdin.setRawMode(false);
    stdin.pause();
    await vm.stop();
  }
}

export function registerRun(program: Command): void {
  withExamples(
    program
      .command('run')
      .description('boot a disk image or ISO made by Golden in QEMU, with its serial console on this terminal; prints the QEMU command it runs')
      .argument('<image>', 'a raw, qcow2, vmdk, vhd, vhdx or iso output')
      .option('--uefi', 'boot with UEFI firmware (OVMF) instead of BIOS (SeaBIOS)')
      .option('--secure-boot', 'boot with UEFI and Secure Boot enforced (Microsoft keys enrolled)')
      .option('--memory <MiB>', 'memory of the VM in MiB', '1024')
      .option('--cpus <n>', 'virtual CPUs', '2')
      .option('--disk <file>', 'attach another disk (repeatable): an install target, a cloud-init seed', (v: string, prev: string[]) => [...prev, v], [] as string[])
      .option('--serial', 'serial console only, never open a window')
      .option('--network', 'give the VM user-mode networking (NAT)')
      .option('--keep', 'keep changes the VM makes to the image (default: discard them)')
      .option('--dry-run', 'print the QEMU command and exit')
      .action(async (image: string, opts: RunOpts) => {
        await runImage(image, opts);
      }),
    [
      ['golden run out/web.qcow2', 'boot with BIOS, console on the terminal (Ctrl-] stops it)'],
      ['golden run out/web.qcow2 --secure-boot --memory 2048', 'UEFI with Secure Boot enforced, 2 GiB'],
      ['golden run out/live.iso --disk target.qcow2', 'boot the ISO with a blank disk to install to'],
      ['golden run out/web.raw --uefi --dry-run', 'only print the QEMU command'],
    ],
  );
}
