// bench/build: bare mmdebstrap (the floor) vs a cold Golden build vs a warm rebuild after one changed
// file. Run through bench/build. Not a test: prints figures.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { hostMirrors } from '../src/config/host-mirror.js';
import { MountNamespace } from '../src/rootfs/namespace.js';
import { linkFiles } from '../src/steps/apt.js';
import { buildFixture, testCacheDir } from '../test/fixtures/build.js';
import { tempDir } from '../test/helpers.js';

const packages = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['linux-image-amd64', 'systemd-sysv', 'live-boot'];
const suite = 'bookworm';
const mirror = hostMirrors('debian').mirror;
if (!mirror) throw new Error('the host apt configuration has no Debian mirror');
const security = hostMirrors('debian').securityMirror ?? mirror;
const sharedDebs = join(testCacheDir(), 'debs', 'debian');
mkdirSync(sharedDebs, { recursive: true });
const work = tempDir('golden-bench-build-');

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const loadBefore = load();

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

// 1. floor
const floorDebs = join(work, 'floor-debs');
linkFiles(sharedDebs, floorDebs, (n) => n.endsWith('.deb'));
const target = join(work, 'floor-root');
const ns = await MountNamespace.open({ label: 'bench mmdebstrap' });
let floorMs: number;
try {
  const t0 = Date.now();
  await ns.run('mmdebstrap', [
    '--variant=minbase',
    '--mode=root',
    '--skip=essential/unlink',
    `--include=${packages.join(',')}`,
    '--setup-hook=mkdir -p "$1/var/cache/apt/archives"',
    `--setup-hook=mount --bind ${floorDebs} "$1/var/cache/apt/archives"`,
    '--customize-hook=umount "$1/var/cache/apt/archives"',
    suite,
    target,
    `deb ${mirror} ${suite} main`,
    `deb ${mirror} ${suite}-updates main`,
    `deb ${security} ${suite}-security main`,
  ]);
  floorMs = Date.now() - t0;
} finally {
  await ns.close();
}
rmSync(target, { recursive: true, force: true });
process.stderr.write(`floor (mmdebstrap): ${secs(floorMs)}\n`);

// 2. cold golden build: a fresh cache holding only the .debs
const cache = join(work, 'cache');
linkFiles(sharedDebs, join(cache, 'debs', 'debian'), (n) => n.endsWith('.deb'));
const project = join(work, 'project');
mkdirSync(project, { recursive: true });
writeFileSync(join(project, 'motd'), 'one\n');
writeFileSync(join(project, 'golden.yaml'), `name: bench\npackages:\n  install: [${packages.join(', ')}]\nfiles:\n  - source: motd\n    destination: /etc/motd\n`);
let t0 = Date.now();
const cold = await buildFixture({ path: join(project, 'golden.yaml') }, { cacheDir: cache, outputDir: join(work, 'out') });
const coldMs = Date.now() - t0;
if (cold.code !== 0) throw new Error(`cold build failed:\n${cold.stderr.slice(-3000)}`);
process.stderr.write(`golden cold: ${secs(coldMs)}\n`);

// 3. warm: one file changed
writeFileSync(join(project, 'motd'), 'two\n');
t0 = Date.now();
const warm = await buildFixture({ path: join(project, 'golden.yaml') }, { cacheDir: cache, outputDir: join(work, 'out') });
const warmMs = Date.now() - t0;
if (warm.code !== 0) throw new Error(`warm build failed:\n${warm.stderr.slice(-3000)}`);

const steps = (b: typeof cold) => b.events.filter((e) => e.event === 'layer').map((e) => `${String(e['step'])} ${e['cached'] ? 'cached' : `${Number(e['seconds']).toFixed(1)}s`}`).join(', ');
console.log(`packages: minbase + ${packages.join(' ')}   (the .deb cache is warm for all three, as live-build's and diskimage-builder's are)`);
console.log(`load average: ${loadBefore} at the start, ${load()} at the end (${cpus().length} cores)`);
console.log(`floor  bare mmdebstrap            ${secs(floorMs).padStart(9)}`);
console.log(`cold   golden build               ${secs(coldMs).padStart(9)}   ${(coldMs / floorMs).toFixed(2)} × floor   (${steps(cold)})`);
console.log(`warm   rebuild, one file changed  ${secs(warmMs).padStart(9)}   ${((warmMs / coldMs) * 100).toFixed(1)} % of cold (${steps(warm)})`);
console.log(`layer cache used: ${readdirSync(join(cache, 'layers')).length} layers in ${cache}`);
rmSync(work, { recursive: true, force: true });
