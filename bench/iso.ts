// bench/iso: Golden vs live-build for the same minimal bookworm live ISO. Run through bench/iso.
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../src/exec/run.js';
import { hostAptSources, hostMirror } from '../src/isobuild/host-mirror.js';
import { VirtualMachine } from '../src/vm/qemu.js';
import { goldenBin } from '../test/helpers.js';

const root = process.argv[2] ?? '/var/tmp/golden-bench-iso';
rmSync(root, { recursive: true, force: true });
mkdirSync(root, { recursive: true });
const mirror = hostMirror('bookworm');
const security = hostAptSources().find((s) => s.suites.includes('bookworm-security'))?.uri ?? mirror;

async function timed(label: string, fn: () => Promise<unknown>): Promise<number> {
  process.stderr.write(`… ${label}\n`);
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

// live-build
const l = join(root, 'live-build');
mkdirSync(l, { recursive: true });
const lb = (args: string[]) => run('lb', args, { cwd: l, purpose: `lb ${args[0]}`, timeoutMs: 60 * 60_000 });
await lb([
  'config', '--distribution', 'bookworm', '--architecture', 'amd64', '--archive-areas', 'main', '--binary-images', 'iso-hybrid',
  '--debian-installer', 'none', '--memtest', 'none', '--apt-indices', 'false', '--firmware-chroot', 'false', '--firmware-binary', 'false',
  '--mirror-bootstrap', mirror, '--mirror-chroot', mirror, '--mirror-binary', mirror,
  '--mirror-chroot-security', security, '--mirror-binary-security', security,
  '--bootappend-live', 'boot=live components console=ttyS0', '--chroot-squashfs-compression-type', 'xz',
]);
mkdirSync(join(l, 'config/includes.chroot/etc'), { recursive: true });
writeFileSync(join(l, 'config/includes.chroot/etc/bench-changed'), 'first\n');
const lCold = await timed('live-build cold build', () => lb(['build']));
const lIsoFirst = join(l, 'live-image-amd64.hybrid.iso');
writeFileSync(join(l, 'config/includes.chroot/etc/bench-changed'), 'second\n');
const lRebuild = await timed('live-build rebuild after one changed file', async () => {
  await lb(['clean']);
  await lb(['build']);
});
const lIso = existsSync(lIsoFirst) ? lIsoFirst : join(l, 'live-image-amd64.iso');

const gBoot = await timed('golden ISO boot to login:', () => bootSeconds(gIso).then((s) => s));
const lBoot = await timed('live-build ISO boot to login:', () => bootSeconds(lIso).then((s) => s));
const mib = (p: string) => statSync(p).size / 1048576;

const rows: [string, number, number, string][] = [
  ['cold build (s)', gCold, lCold, 'lower is better'],
  ['rebuild, one changed file (s)', gRebuild, lRebuild, 'lower is better'],
  ['ISO size (MiB)', mib(gIso), mib(lIso), 'lower is better'],
  ['QEMU TCG start → login: (s)', gBoot, lBoot, 'lower is better'],
];
console.log(`${'minimal bookworm live ISO, xz'.padEnd(32)} ${'Golden'.padStart(9)} ${'live-build'.padStart(11)} ${'ratio'.padStart(7)}`);
for (const [name, a, b] of rows) console.log(`${name.padEnd(32)} ${a.toFixed(1).padStart(9)} ${b.toFixed(1).padStart(11)} ${(a / b).toFixed(3).padStart(7)}`);
