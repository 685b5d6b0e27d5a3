// The build end to end, with the real mmdebstrap from the host's mirror, a real Golden archive and the
// shared test cache: inspect the image, then rebuild after changing one file (only config and finalize
// run) and after changing the package list (packages reruns, base does not).
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from '../../src/exec/run.js';
import { assertBuilt, buildFixture, type FixtureBuild } from '../fixtures/build.js';
import { runGolden, tempDir } from '../helpers.js';

const work = tempDir('golden-build-e2e-');
const project = join(work, 'project');
const outDir = join(work, 'out');
const rootfs = join(outDir, 'e2e.rootfs');

/** A tiny Architecture: all package, built with dpkg-deb, to install from the Golden archive. */
async function makeDeb(dir: string): Promise<string> {
  const pkg = join(dir, 'golden-e2e-hello');
  mkdirSync(join(pkg, 'DEBIAN'), { recursive: true });
  mkdirSync(join(pkg, 'usr', 'share', 'golden-e2e-hello'), { recursive: true });
  writeFileSync(join(pkg, 'DEBIAN', 'control'), 'Package: golden-e2e-hello\nVersion: 1.0\nArchitecture: all\nMaintainer: Golden tests <tests@example.org>\nDescription: a package from the company archive\n');
  writeFileSync(join(pkg, 'usr', 'share', 'golden-e2e-hello', 'hello'), 'from the company archive\n');
  const deb = join(dir, 'golden-e2e-hello_1.0_all.deb');
  await run('dpkg-deb', ['--build', '--root-owner-group', pkg, deb]);
  return deb;
}

function configText(opts: { motd: string; extraPackages?: string[] }): string {
  return `name: e2e
version: "1.0"
repositories:
  - name: company
    golden: ./archive
    deployedUrl: https://apt.example.org/company
packages:
  install: [systemd-sysv, less, golden-e2e-hello${(opts.extraPackages ?? []).map((p) => `, ${p}`).join('')}]
features: [ssh-server]
hostname: e2e-host
files:
  - source: files/motd
    destination: /etc/motd
  - content: "secret\\n"
    destination: /etc/golden-e2e/secret
    mode: "0600"
    owner: "admin:admin"
directories:
  - path: /srv/data
    mode: "0750"
users:
  - name: admin
    groups: [adm]
    sudo: true
    passwordHash: "$6$salt$0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ./0123456789abcdefghijkl"
    sshKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGoldenTestKeyOnlyForTests e2e@test"]
updates:
  unattended:
    enabled: true
    reboot: { enabled: true, time: "03:30" }
outputs:
  - type: rootfs
  - type: tar
    compression: zstd
`;
}

function layerSteps(b: FixtureBuild): Record<string, boolean> {
  return b.cached;
}

function inImage(path: string): string {
  return join(rootfs, path);
}

test('setup: a Golden archive with one package', async () => {
  mkdirSync(project, { recursive: true });
  const init = await runGolden(['init', project]);
  assert.equal(init.code, 0, init.stderr);
  const archive = ['--archive', join(project, 'archive')];
  const dist = await runGolden(['repo', ...archive, 'add-dist', 'stable']);
  assert.equal(dist.code, 0, dist.stderr);
  const add = await runGolden(['repo', ...archive, 'add', 'stable', await makeDeb(work)]);
  assert.equal(add.code, 0, add.stderr);
  mkdirSync(join(project, 'files'), { recursive: true });
  writeFileSync(join(project, 'files', 'motd'), 'Welcome to e2e, version one\n');
  writeFileSync(join(project, 'golden.yaml'), configText({ motd: 'one' }));
});

let first: FixtureBuild;

test('golden build makes the image the config describes', async () => {
  first = await buildFixture({ path: join(project, 'golden.yaml') }, { outputDir: outDir });
  assertBuilt(first);
  assert.deepEqual(Object.keys(first.keys), ['base', 'packages', 'config', 'finalize']);

  // packages, from the distribution and from the Golden archive
  const q = await run('chroot', [rootfs, 'dpkg-query', '-W', '-f', '${Package} ${Status}\\n']);
  const installed = new Map(q.stdout.trim().split('\n').map((l) => [l.split(' ')[0]!, l.includes('install ok installed')]));
  for (const p of ['less', 'golden-e2e-hello', 'openssh-server', 'unattended-upgrades', 'sudo']) assert.ok(installed.get(p), `${p} is installed`);
  assert.equal(readFileSync(inImage('usr/share/golden-e2e-hello/hello'), 'utf8'), 'from the company archive\n');

  // files, modes, owners, directories
  assert.equal(readFileSync(inImage('etc/motd'), 'utf8'), 'Welcome to e2e, version one\n');
  const secret = statSync(inImage('etc/golden-e2e/secret'));
  assert.equal(secret.mode & 0o777, 0o600);
  assert.equal(statSync(inImage('srv/data')).mode & 0o777, 0o750);
  assert.equal(readFileSync(inImage('etc/hostname'), 'utf8'), 'e2e-host\n');

  // users: groups, password hash, SSH key, sudo
  const passwd = readFileSync(inImage('etc/passwd'), 'utf8');
  const admin = passwd.split('\n').find((l) => l.startsWith('admin:'))!.split(':');
  assert.equal(secret.uid, Number(admin[2]), 'the file belongs to admin');
  assert.match(readFileSync(inImage('etc/group'), 'utf8'), /^adm:x:\d+:.*\badmin\b/m);
  assert.match(readFileSync(inImage('etc/shadow'), 'utf8'), /^admin:\$6\$salt\$/m);
  assert.match(readFileSync(inImage('home/admin/.ssh/authorized_keys'), 'utf8'), /GoldenTestKeyOnlyForTests/);
  assert.equal(statSync(inImage('home/admin/.ssh/authorized_keys')).mode & 0o777, 0o600);
  assert.match(readFileSync(inImage('etc/sudoers.d/golden-admin'), 'utf8'), /^admin ALL=\(ALL:ALL\) NOPASSWD: ALL$/m);

  // apt sources for deployed machines, with Signed-By
  const sources = readFileSync(inImage('etc/apt/sources.list.d/golden-company.sources'), 'utf8');
  assert.match(sources, /^URIs: https:\/\/apt\.example\.org\/company$/m);
  assert.match(sources, /^Suites: stable$/m);
  const signedBy = /^Signed-By: (\S+)$/m.exec(sources)?.[1];
  assert.ok(signedBy && existsSync(inImage(signedBy)), 'the key named by Signed-By is in the image');
  assert.ok(!readFileSync(inImage('etc/apt/sources.list'), 'utf8').includes('file:'), 'the build-time file: source is not left in the image');

  // unattended upgrades
  const uu = readdirSync(inImage('etc/apt/apt.conf.d')).map((f) => readFileSync(inImage(`etc/apt/apt.conf.d/${f}`), 'utf8')).join('\n');
  assert.match(uu, /APT::Periodic::Unattended-Upgrade "1"/);
  assert.match(uu, /Unattended-Upgrade::Automatic-Reboot-Time "03:30"/);
  assert.match(uu, /site=apt\.example\.org/);

  // fit to copy: empty machine-id, no SSH host keys (made at first boot), no build leftovers
  if (existsSync(inImage('etc/machine-id'))) assert.equal(readFileSync(inImage('etc/machine-id'), 'utf8'), '');
  assert.ok(!existsSync(inImage('var/lib/dbus/machine-id')));
  assert.deepEqual(readdirSync(inImage('etc/ssh')).filter((f) => f.startsWith('ssh_host_')), []);
  assert.ok(existsSync(inImage('etc/systemd/system/golden-ssh-host-keys.service')));
  assert.ok(!existsSync(inImage('usr/sbin/policy-rc.d')));
  assert.ok(!existsSync(inImage('etc/resolv.conf')) || !lstatSync(inImage('etc/resolv.conf')).isFile() || !readFileSync(inImage('etc/resolv.conf'), 'utf8').includes(readFileSync('/etc/resolv.conf', 'utf8').trim()));
  assert.deepEqual(readdirSync(inImage('var/lib/apt/lists')).filter((f) => f !== 'partial' && f !== 'lock'), []);
  assert.deepEqual(readdirSync(inImage('var/cache/apt/archives')).filter((f) => f.endsWith('.deb')), []);
  assert.deepEqual(readdirSync(inImage('tmp')), []);

  // the build's speed-ups leave nothing behind: dpkg ran under eatmydata (base and packages), the
  // initramfs was made in /run, the lists came from the base step
  const divert = await run('chroot', [rootfs, 'dpkg-divert', '--list']);
  assert.ok(!/\/usr\/bin\/dpkg\b/.test(divert.stdout) && !divert.stdout.includes('update-initramfs'), divert.stdout);
  assert.ok(!readFileSync(inImage('usr/bin/dpkg')).subarray(0, 2).toString().startsWith('#!'), '/usr/bin/dpkg is the real program');
  assert.ok(!existsSync(inImage('usr/bin/dpkg.distrib')) && !existsSync(inImage('usr/bin/eatmydata')));
  const eat = await run('sh', ['-c', `find ${rootfs}/usr/lib -name 'libeatmydata*'`]);
  assert.equal(eat.stdout.trim(), '', 'no libeatmydata in the image');

  // the tarball is there, with its sha256 in the events
  const tar = first.outputs['tar']![0]!;
  assert.ok(statSync(tar).size > 10_000_000);
  const listing = await run('tar', ['--zstd', '-tvf', tar]);
  assert.match(listing.stdout, /\.\/etc\/motd/);
});

test('changing one file reruns only config and finalize, and the image has the change', async () => {
  writeFileSync(join(project, 'files', 'motd'), 'Welcome to e2e, version two\n');
  const b = await buildFixture({ path: join(project, 'golden.yaml') }, { outputDir: outDir });
  assertBuilt(b);
  assert.deepEqual(layerSteps(b), { base: true, packages: true, config: false, finalize: false });
  assert.equal(b.keys['packages'], first.keys['packages']);
  assert.notEqual(b.keys['config'], first.keys['config']);
  assert.equal(readFileSync(inImage('etc/motd'), 'utf8'), 'Welcome to e2e, version two\n');

  const plan = await runGolden(['plan', join(project, 'golden.yaml'), '--cache', process.env['GOLDEN_TEST_CACHE'] ?? '/var/tmp/golden-test-cache', '--json']);
  assert.equal(plan.code, 0, plan.stderr);
  const rows = (JSON.parse(plan.stdout) as { steps: { name: string; cached: boolean }[] }).steps;
  assert.ok(rows.filter((r) => ['base', 'packages', 'config', 'finalize'].includes(r.name)).every((r) => r.cached), 'after the build, plan finds every layer cached');
});

test('changing the package list reruns packages but not the base; plan says why first', async () => {
  writeFileSync(join(project, 'golden.yaml'), configText({ motd: 'two', extraPackages: ['file'] }));
  const plan = await runGolden(['plan', join(project, 'golden.yaml'), '--cache', process.env['GOLDEN_TEST_CACHE'] ?? '/var/tmp/golden-test-cache', '--json']);
  assert.equal(plan.code, 0, plan.stderr);
  const rows = (JSON.parse(plan.stdout) as { steps: { name: string; cached: boolean; reasons: string[] }[] }).steps;
  const pk = rows.find((r) => r.name === 'packages')!;
  assert.equal(pk.cached, false);
  assert.ok(pk.reasons.some((r) => r.startsWith('install changed')), pk.reasons.join('; '));
  assert.equal(rows.find((r) => r.name === 'base')!.cached, true);

  const b = await buildFixture({ path: join(project, 'golden.yaml') }, { outputDir: outDir });
  assertBuilt(b);
  assert.equal(b.cached['base'], true);
  assert.equal(b.cached['packages'], false);
  const q = await run('chroot', [rootfs, 'dpkg-query', '-W', '-f', '${Status}', 'file']);
  assert.match(q.stdout, /install ok installed/);
});

test('packages.metapackage: the list becomes a metapackage in the Golden archive, and the image installs it', async () => {
  const cfg = join(project, 'meta.yaml');
  const metaOut = join(work, 'meta-out');
  const write = (extra: string) =>
    writeFileSync(
      cfg,
      `name: meta\nrepositories:\n  - name: company\n    golden: ./archive\npackages:\n  install: [less, golden-e2e-hello${extra}]\n  metapackage:\n    name: e2e-image-packages\noutputs:\n  - type: rootfs\n`,
    );
  write('');
  const b = await buildFixture({ path: cfg }, { outputDir: metaOut });
  assertBuilt(b);
  const meta = b.events.find((e) => e.event === 'metapackage')!;
  assert.equal(meta['name'], 'e2e-image-packages');
  const root = join(metaOut, 'meta.rootfs');
  const q = await run('chroot', [root, 'dpkg-query', '-W', '-f', '${Package} ${Version} ${Status}\\n', 'e2e-image-packages', 'golden-e2e-hello', 'less']);
  assert.equal(q.stdout.trim().split('\n').filter((l) => l.endsWith('install ok installed')).length, 3, q.stdout);
  assert.match(q.stdout, new RegExp(`^e2e-image-packages ${String(meta['version']).replace(/\./g, '\\.')} `, 'm'));

  // a changed list gives a new metapackage version, and so a new packages layer
  write(', file');
  const c = await buildFixture({ path: cfg }, { outputDir: metaOut });
  assertBuilt(c);
  const meta2 = c.events.find((e) => e.event === 'metapackage')!;
  assert.notEqual(meta2['version'], meta['version']);
  assert.equal(c.cached['packages'], false);
  const list = await runGolden(['--json', 'repo', '--archive', join(project, 'archive'), 'list', 'stable']);
  assert.match(list.stdout, /e2e-image-packages/);
});
