// bench/disk: a minimal bookworm qcow2 made by Golden and by diskimage-builder (debian-minimal vm), side
// by side in one run: cold build, rebuild after one changed file, image size, seconds from QEMU start to
// the login prompt under TCG (SeaBIOS). Not a test: prints figures and ratios.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostMirrors } from '../src/config/host-mirror.js';
import { findTool } from '../src/exec/tools.js';
import { VirtualMachine } from '../src/vm/qemu.js';
import { parseEvents } from '../test/fixtures/build.js';
import { runGolden } from '../test/helpers.js';

const work = process.argv[2] ?? '/var/tmp/golden-bench-disk';
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const MiB = 1024 * 1024;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const ratio = (a: number, b: number | undefined) => (b ? `${(a / b).toFixed(2)}×` : 'n/a');

interface Figures {
  coldMs?: number;
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

// --- Golden: the same minimal image (kernel, systemd, grub) as a zstd-compressed qcow2
async function golden(): Promise<Figures> {
  const project = join(work, 'golden');
  const cache = join(work, 'golden-cache');
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, 'motd'), 'one\n');
  writeFileSync(
    join(project, 'golden.yaml'),
    'name: bench-disk\nfiles:\n  - source: motd\n    destination: /etc/motd\noutputs:\n  - type: qcow2\n    compression: zstd\n',
  );
  const build = async () => {
    const t0 = Date.now();
    const r = await runGolden(['--json', 'build', join(project, 'golden.yaml'), '--cache', cache, '--output-dir', join(project, 'out')], { timeoutMs: 60 * 60_000 });
    if (r.code !== 0) throw new Error(`golden build failed:\n${r.stderr.slice(-3000)}`);
    const steps = parseEvents(r.stdout).filter((e) => e.event === 'layer' || e.event === 'output');
    process.stderr.write(`golden: ${steps.map((e) => `${String(e['step'] ?? e['type'])} ${e['cached'] ? 'cached' : `${Number(e['seconds'] ?? 0).toFixed(1)}s`}`).join(', ')}\n`);
    return Date.now() - t0;
  };
  const coldMs = await build();
  writeFileSync(join(project, 'motd'), 'two\n');
  const warmMs = await build();
  const image = join(project, 'out', 'bench-disk.qcow2');
  return { coldMs, warmMs, bytes: statSync(image).size, loginMs: await secondsToLogin(image) };
}

// --- diskimage-builder: disk-image-create debian-minimal vm
function dib(): Figures {
  if (!findTool('disk-image-create')) {
    const apt = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'python3-diskimage-builder'], { encoding: 'utf8' });
    if (apt.status !== 0) return { note: `could not install python3-diskimage-builder: ${apt.stderr.slice(-300)}` };
  }
  const mirror = hostMirrors('debian').mirror;
  const env = { ...process.env, DIB_RELEASE: 'bookworm', ...(mirror ? { DIB_DISTRIBUTION_MIRROR: mirror } : {}), TMPDIR: join(work, 'dib-tmp') };
  mkdirSync(env.TMPDIR, { recursive: true });
  const out = join(work, 'dib', 'image');
  mkdirSync(join(work, 'dib'), { recursive: true });
  const build = () => {
    const t0 = Date.now();
    const r = spawnSync('disk-image-create', ['-o', out, '-t', 'qcow2', 'debian-minimal', 'vm'], { env, encoding: 'utf8', maxBuffer: 256 * MiB });
    return { ms: Date.now() - t0, ok: r.status === 0, tail: `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-12).join('\n') };
  };
  const cold = build();
  if (!cold.ok) {
    const missing = ['kpartx', 'dmsetup'].filter((t) => !findTool(t));
    return {
      note:
        `diskimage-builder CANNOT run here (failed after ${secs(cold.ms)}): it partitions through losetup + kpartx (device-mapper), ` +
        `which this kernel lacks${missing.length ? `; missing tools: ${missing.join(', ')}` : ''}. Its last output:\n${cold.tail.replace(/^/gm, '    | ')}`,
    };
  }
  const warm = build();
  const image = `${out}.qcow2`;
  return { coldMs: cold.ms, warmMs: warm.ms, bytes: existsSync(image) ? statSync(image).size : undefined };
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
row('rebuild, one file changed', g.warmMs, ref.warmMs, secs);
row('image size', g.bytes, ref.bytes, (n) => `${(n / MiB).toFixed(1)} MiB`);
row('QEMU start to login: (TCG)', g.loginMs, ref.loginMs, secs);
if (d.note) console.log(`\n${d.note}`);
try {
  console.log(`\nload average during the run: ${execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).trim()}`);
} catch {
  // informative only
}
