// bench/disk: a minimal bookworm qcow2 made by Golden and by diskimage-builder (debian-minimal vm), side
// by side in one run: cold build, rebuild after one changed file, image size, seconds from QEMU start to
// the login prompt under TCG (SeaBIOS). Not a test: prints figures and ratios.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostMirrors } from '../src/config/host-mirror.js';
import { findTool } from '../src/exec/tools.js';
import { VirtualMachine } from '../src/vm/qemu.js';
import { parseEvents } from '../test/fixtures/build.js';
import { runGolden } from '../test/helpers.js';

// --dib-only: run only the diskimage-builder side (to see why it fails here without a Golden cold build)
const dibOnly = process.argv.includes('--dib-only');
const work = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? '/var/tmp/golden-bench-disk';
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const MiB = 1024 * 1024;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const ratio = (a: number, b: number | undefined) => (b ? `${(a / b).toFixed(2)}×` : 'n/a');

interface Figures {
  coldMs?: number;
  /** diskimage-builder failed (here: at kpartx) after this long, before its last stages: a lower bound of its cold build. */
  failedAfterMs?: number;
  warmMs?: number;
  bytes?: number;
  loginMs?: number;
  note?: string;
}

async function secondsToLogin(image: string): Promise<number> {
  const t0 = Date.now();
  const vm = await VirtualMachine.start({ image, firmware: 'bios', snapshot: true });
  try {
    await vm.waitFor(/login:/, 30 * 60_000);
    return Date.now() - t0;
  } finally {
    await vm.stop();
  }
}

// --- Golden: the same minimal image (kernel, systemd, grub). Cold and one-file rebuild of the default
// (uncompressed) qcow2, then a rebuild with zstd compression for the size to compare with
// diskimage-builder's zlib-compressed qcow2.
async function golden(): Promise<Figures & { zstdMs?: number; zstdBytes?: number; rawBytes?: number }> {
  const project = join(work, 'golden');
  const cache = join(work, 'golden-cache');
  mkdirSync(project, { recursive: true });
  const configFor = (compression: string) => `name: bench-disk\nfiles:\n  - source: motd\n    destination: /etc/motd\noutputs:\n  - type: qcow2\n    compression: ${compression}\n`;
  const build = async (what: string) => {
    const t0 = Date.now();
    const r = await runGolden(['--json', 'build', join(project, 'golden.yaml'), '--cache', cache, '--output-dir', join(project, 'out')], { timeoutMs: 60 * 60_000 });
    if (r.code !== 0) throw new Error(`golden build failed:\n${r.stderr.slice(-3000)}`);
    const ms = Date.now() - t0;
    const steps = parseEvents(r.stdout).filter((e) => e.event === 'layer' || e.event === 'output');
    process.stderr.write(`golden ${what} ${secs(ms)}: ${steps.map((e) => `${String(e['step'] ?? e['type'])} ${e['cached'] ? 'cached' : `${Number(e['seconds'] ?? 0).toFixed(1)}s`}`).join(', ')}\n`);
    return ms;
  };
  writeFileSync(join(project, 'motd'), 'one\n');
  writeFileSync(join(project, 'golden.yaml'), configFor('none'));
  const coldMs = await build('cold');
  writeFileSync(join(project, 'motd'), 'two\n');
  const warmMs = await build('one-file rebuild');
  const image = join(project, 'out', 'bench-disk.qcow2');
  const rawBytes = statSync(image).size;
  const loginMs = await secondsToLogin(image);
  writeFileSync(join(project, 'motd'), 'three\n');
  writeFileSync(join(project, 'golden.yaml'), configFor('zstd'));
  const zstdMs = await build('one-file rebuild, zstd');
  return { coldMs, warmMs, bytes: statSync(image).size, loginMs, zstdMs, rawBytes };
}

// --- diskimage-builder: disk-image-create debian-minimal vm
function dib(): Figures {
  // its scripts call sudo even as root; kpartx is its partition mapper
  for (const [tool, pkg] of [['disk-image-create', 'python3-diskimage-builder'], ['sudo', 'sudo'], ['kpartx', 'kpartx']] as const) {
    if (findTool(tool)) continue;
    const apt = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { encoding: 'utf8' });
    if (apt.status !== 0) return { note: `could not install ${pkg} for diskimage-builder: ${apt.stderr.slice(-300)}` };
  }
  const { mirror, securityMirror } = hostMirrors('debian');
  // the host's mirrors only (the only ones reachable here); bookworm's security suite is bookworm-security
  const env = {
    ...process.env,
    DIB_RELEASE: 'bookworm',
    ...(mirror ? { DIB_DISTRIBUTION_MIRROR: mirror } : {}),
    ...(securityMirror ? { DIB_DEBIAN_SECURITY_MIRROR: securityMirror, DIB_DEBIAN_SECURITY_SUBPATH: '-security' } : {}),
    TMPDIR: join(work, 'dib-tmp'),
  };
  mkdirSync(env.TMPDIR, { recursive: true });
  const out = join(work, 'dib', 'image');
  mkdirSync(join(work, 'dib'), { recursive: true });
  const build = () => {
    const t0 = Date.now();
    const r = spawnSync('disk-image-create', ['-o', out, '-t', 'qcow2', 'debian-minimal', 'vm'], { env, encoding: 'utf8', maxBuffer: 256 * MiB });
    const all = `${r.stdout}\n${r.stderr}`.trim().split('\n');
    // the first line that names what broke, else the first error line
    const cause = [/kpartx|device-mapper|dm_mod|\/dev\/mapper|losetup/i, /command not found/, /Exception|ERROR|failed/].map((re) => all.find((l) => re.test(l))).find((l) => l !== undefined);
    return { ms: Date.now() - t0, ok: r.status === 0, tail: all.slice(-12).join('\n'), cause };
  };
  const hadMapper = existsSync('/dev/mapper');
  const cold = build();
  // where the kernel has no device-mapper, kpartx's library still creates /dev/mapper/control: leave
  // the host's /dev as it was
  if (!hadMapper && existsSync('/dev/mapper')) rmSync('/dev/mapper', { recursive: true, force: true });
  if (!cold.ok) {
    const missing = ['kpartx', 'dmsetup'].filter((t) => !findTool(t));
    // the kernel's word, not /dev/mapper/control: libdevmapper creates that node even where the kernel has no driver
    const dm = readFileSync('/proc/misc', 'utf8').includes('device-mapper') || readFileSync('/proc/devices', 'utf8').includes('device-mapper');
    const loops = existsSync('/dev/loop-control');
    return {
      failedAfterMs: cold.ms,
      note:
        `diskimage-builder CANNOT run here (failed after ${secs(cold.ms)}): its vm element partitions the image through ` +
        `losetup + kpartx, which maps partitions with device-mapper. Here: device-mapper ${dm ? 'present' : 'ABSENT from this kernel (not in /proc/misc nor /proc/devices)'}, ` +
        `loop control ${loops ? 'present' : 'absent'}${missing.length ? `, missing tools: ${missing.join(', ')}` : ''}.\n` +
        `  what failed: ${cold.cause?.trim() ?? '(no line names it; see below)'}\n  its last output:\n${cold.tail.replace(/^/gm, '    | ')}`,
    };
  }
  const warm = build();
  const image = `${out}.qcow2`;
  return { coldMs: cold.ms, warmMs: warm.ms, bytes: existsSync(image) ? statSync(image).size : undefined };
}

if (dibOnly) {
  const d = dib();
  console.log(d.note ?? `diskimage-builder ran: cold ${secs(d.coldMs ?? 0)}, rebuild ${secs(d.warmMs ?? 0)}, ${((d.bytes ?? 0) / MiB).toFixed(1)} MiB`);
  process.exit(0);
}
const g = await golden();
const d = dib();
if (d.bytes && existsSync(join(work, 'dib', 'image.qcow2'))) d.loginMs = await secondsToLogin(join(work, 'dib', 'image.qcow2'));
// Figures the issue reports for diskimage-builder on a machine where it ran, used for the ratios when
// it cannot run here.
const reported: Figures = { coldMs: 151_000, warmMs: 145_000, bytes: 317.5 * MiB, loginMs: 51_000 };
const ref = d.coldMs ? d : reported;
const refName = d.coldMs ? 'diskimage-builder (this run)' : 'diskimage-builder (figures reported in issue 5)';
const row = (what: string, gv: number | undefined, dv: number | undefined, fmt: (n: number) => string) =>
  console.log(`${what.padEnd(28)} ${(gv === undefined ? 'n/a' : fmt(gv)).padStart(12)} ${(dv === undefined ? 'n/a' : fmt(dv)).padStart(12)}   ${gv !== undefined ? ratio(gv, dv) : ''}`);
console.log(`\nminimal bookworm qcow2, Golden vs ${refName}`);
console.log(`${''.padEnd(28)} ${'golden'.padStart(12)} ${'dib'.padStart(12)}   golden/dib`);
row('cold build', g.coldMs, ref.coldMs, secs);
// Where diskimage-builder failed at its block-device stage, everything before it (debootstrap, package
// installs, the initramfs) had run: its cold build here takes at least that long, so Golden's ratio
// against that time is an upper bound of the real one.
if (d.failedAfterMs) row('cold build vs dib lower bound', g.coldMs, d.failedAfterMs, secs);
row('rebuild, one file changed', g.warmMs, ref.warmMs, secs);
row('image size', g.bytes, ref.bytes, (n) => `${(n / MiB).toFixed(1)} MiB`);
row('QEMU start to login: (TCG)', g.loginMs, ref.loginMs, secs);
console.log(`(golden's image above is the default, uncompressed qcow2: ${((g.rawBytes ?? 0) / MiB).toFixed(1)} MiB; its size row and the next row use zstd)`);
row('rebuild with zstd qcow2', g.zstdMs, ref.warmMs, secs);
if (d.note) console.log(`\n${d.note}`);
try {
  console.log(`\nload average during the run: ${execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).trim()}`);
} catch {
  // informative only
}
