// bench/iso: Golden vs live-build for the same minimal bookworm live ISO. Run through bench/iso.
// When live-build cannot run here, the bench says why and sets Golden's figures against the reference
// figures of issue 4 (measured for live-build on the same kind of machine), labelled as such.
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { findTool } from '../src/exec/tools.js';
import { run } from '../src/exec/run.js';
import { hostAptSources, hostMirror } from '../src/isobuild/host-mirror.js';
import { VirtualMachine } from '../src/vm/qemu.js';
import { goldenBin } from '../test/helpers.js';

/** Issue 4's figures for live-build (minimal bookworm, xz, 2 cores, QEMU TCG). */
const REFERENCE = { cold: 305, rebuild: 276, sizeMiB: 299, boot: 98 };

const root = process.argv[2] ?? '/var/tmp/golden-bench-iso';
rmSync(root, { recursive: true, force: true });
mkdirSync(root, { recursive: true });
const mirror = hostMirror('bookworm');
const security = hostAptSources().find((s) => s.suites.includes('bookworm-security'))?.uri ?? mirror;
const load = () => loadavg().map((n) => n.toFixed(2)).join(' ');

async function timed(label: string, fn: () => Promise<unknown>): Promise<number> {
  process.stderr.write(`… ${label} (load ${load()})\n`);
  const t = Date.now();
  await fn();
  const s = (Date.now() - t) / 1000;
  process.stderr.write(`  ${label}: ${s.toFixed(1)} s\n`);
  return s;
}

/** Seconds from QEMU start to "login:" on the serial console; Enter is pressed to skip boot menus. */
async function bootSeconds(iso: string): Promise<number> {
  const t = Date.now();
  const vm = await VirtualMachine.start({ image: iso, firmware: 'uefi', memoryMiB: 1536, serialLog: `${iso}.serial.log` });
  const enter = setInterval(() => {
    if (!/Linux version/.test(vm.console)) vm.send('\r');
  }, 2000);
  try {
    await vm.waitFor(/login:/, 30 * 60_000);
    return (Date.now() - t) / 1000;
  } finally {
    clearInterval(enter);
    await vm.stop();
  }
}

const started = load();

// Golden
const g = join(root, 'golden');
mkdirSync(g, { recursive: true });
writeFileSync(join(g, 'changed.txt'), 'first\n');
writeFileSync(
  join(g, 'golden.yaml'),
  `name: bench\nversion: "1.0"\nkernel:\n  commandLine: ["console=ttyS0"]\niso:\n  compression: small\nfiles:\n  - source: changed.txt\n    destination: /etc/bench-changed\noutputs:\n  - type: iso\n`,
);
const goldenBuild = () => run(process.execPath, [goldenBin, 'build', join(g, 'golden.yaml'), '--cache', join(g, 'cache'), '-o', join(g, 'out')], { purpose: 'golden build' });
const gCold = await timed('golden cold build', goldenBuild);
writeFileSync(join(g, 'changed.txt'), 'second\n');
const gRebuild = await timed('golden rebuild after one changed file', goldenBuild);
const gIso = join(g, 'out', 'bench.iso');
const gBoot = await timed('golden ISO boot to login:', () => bootSeconds(gIso));

// live-build
interface PeerFigures {
  cold: number;
  rebuild: number;
  sizeMiB: number;
  boot: number;
}
let peer: PeerFigures | undefined;
let whyNot = '';
if (!findTool('lb')) {
  whyNot = 'live-build is not installed (apt-get install live-build)';
} else {
  try {
    const l = join(root, 'live-build');
    mkdirSync(l, { recursive: true });
    const lb = (args: string[]) => run('lb', args, { cwd: l, purpose: `lb ${args[0]}`, timeoutMs: 90 * 60_000 });
    const config = [
      'config', '--distribution', 'bookworm', '--architecture', 'amd64', '--archive-areas', 'main', '--binary-images', 'iso-hybrid',
      '--debian-installer', 'none', '--memtest', 'none', '--apt-indices', 'false', '--firmware-chroot', 'false', '--firmware-binary', 'false',
      '--mirror-bootstrap', mirror, '--mirror-chroot', mirror, '--mirror-binary', mirror,
      '--mirror-chroot-security', security, '--mirror-binary-security', security,
      '--bootappend-live', 'boot=live components console=ttyS0', '--chroot-squashfs-compression-type', 'xz',
    ];
    await lb(config);
    mkdirSync(join(l, 'config/includes.chroot/etc'), { recursive: true });
    writeFileSync(join(l, 'config/includes.chroot/etc/bench-changed'), 'first\n');
    const cold = await timed('live-build cold build', () => lb(['build']));
    writeFileSync(join(l, 'config/includes.chroot/etc/bench-changed'), 'second\n');
    const rebuild = await timed('live-build rebuild after one changed file', async () => {
      // lb clean drops the config stage too (lb build then refuses to start): configure again, as a user would
      await lb(['clean']);
      await lb(config);
      await lb(['build']);
    });
    const lIso = ['live-image-amd64.hybrid.iso', 'live-image-amd64.iso'].map((f) => join(l, f)).find((f) => existsSync(f));
    if (!lIso) throw new Error(`lb build made no ISO in ${l}`);
    const boot = await timed('live-build ISO boot to login:', () => bootSeconds(lIso));
    peer = { cold, rebuild, sizeMiB: statSync(lIso).size / 1048576, boot };
  } catch (e) {
    whyNot = `live-build failed here: ${(e as Error).message.split('\n').slice(0, 6).join(' | ')}`;
  }
}

const mib = (p: string) => statSync(p).size / 1048576;
const other = peer ?? REFERENCE;
const otherLabel = peer ? 'live-build' : 'reference*';
const rows: [string, number, number][] = [
  ['cold build (s)', gCold, other.cold],
  ['rebuild, one changed file (s)', gRebuild, other.rebuild],
  ['ISO size (MiB)', mib(gIso), other.sizeMiB],
  ['QEMU TCG start → login: (s)', gBoot, other.boot],
];
console.log(`load average at start: ${started}; at end: ${load()}`);
console.log(`${'minimal bookworm live ISO, xz'.padEnd(32)} ${'Golden'.padStart(9)} ${otherLabel.padStart(11)} ${'ratio'.padStart(7)}`);
for (const [name, a, b] of rows) console.log(`${name.padEnd(32)} ${a.toFixed(1).padStart(9)} ${b.toFixed(1).padStart(11)} ${(a / b).toFixed(3).padStart(7)}`);
if (!peer) console.log(`* live-build did not run in this bench: ${whyNot}. The right column is issue 4's reference figures for live-build, not a measurement of this run.`);
