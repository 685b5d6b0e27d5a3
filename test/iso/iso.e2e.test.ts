// The iso output end to end: a real `golden build` of the e2e config, then xorriso's own reports, the
// disc layout, the checksums, a rebuild after one changed file, and a boot under QEMU (TCG) with SeaBIOS
// that also installs a pool package with no network and checks that cloud-init took the NoCloud seed
// from the disc. The OVMF boot is iso-uefi.e2e.test.ts and the Secure Boot one isobuild.e2e.test.ts
// (separate files so the slow emulated boots run in parallel).
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { before, test } from 'node:test';
import { run } from '../../src/exec/run.js';
import { runGolden, tempDir } from '../helpers.js';
import { bootToLogin } from './boot.js';
import { ISO_NAME, POOL_PACKAGE, changedFile, isoFixture } from './fixture.js';
import { extract, listDisc, readInitramfs, xorrisoReport } from './inspect.js';

let iso = '';
before(async () => {
  ({ iso } = await isoFixture());
});

test('xorriso reports a BIOS and a UEFI El Torito entry and the ESP as GPT partition 2', async () => {
  const eltorito = await xorrisoReport(iso, 'el_torito');
  assert.match(eltorito, /El Torito boot img :\s+1\s+BIOS\s+y\s+none/, eltorito);
  assert.match(eltorito, /El Torito boot img :\s+2\s+UEFI\s+y\s+none/, eltorito);
  assert.match(eltorito, /El Torito img path :\s+1\s+\/boot\/grub\/i386-pc\/eltorito.img/);
  const area = await xorrisoReport(iso, 'system_area');
  assert.match(area, /System area options: 0x[0-9a-f]+/);
  assert.match(area, /GPT partname local :\s+2\s+/, area);
  assert.match(area, /GPT type GUID\s+:\s+2\s+28732ac11ff8d211ba4b00a0c93ec93b/, 'partition 2 is an EFI System Partition');
  assert.match(area, /System area summary: MBR protective-msdos-label grub2-mbr/, 'GRUB hybrid MBR for USB sticks');
  assert.match(area, /MBR partition\s+:\s+\d\s+0x80\s/, 'the MBR marks a partition bootable (--mbr-force-bootable)');
});

test('the disc layout, .disk/info, layers in /live, grub menus and the signed pool are as specified', async () => {
  const dir = tempDir();
  await extract(iso, dir);
  const info = readFileSync(join(dir, '.disk/info'), 'utf8');
  assert.match(info, /^Golden-iso-e2e 1\.0 - Daily amd64 \(\d{8}\)$/);
  const live = (await listDisc(iso, '/live')).sort();
  assert.ok(live.includes('vmlinuz') && live.includes('initrd.img'), live.join(' '));
  const module = readFileSync(join(dir, 'live/filesystem.module'), 'utf8').trim().split('\n');
  assert.deepEqual(module, ['01-base.squashfs', '02-packages.squashfs', '03-config.squashfs', '04-finalize.squashfs', '05-manifest.squashfs', '06-live.squashfs']);
  for (const m of module) assert.ok(live.includes(m), m);
  const grub = readFileSync(join(dir, 'boot/grub/grub.cfg'), 'utf8');
  assert.match(grub, /set timeout=\d\n/);
  assert.match(grub, /linux\t\/live\/vmlinuz boot=live console=ttyS0,115200 ds=nocloud\n/);
  assert.match(grub, /nomodeset/);
  assert.match(grub, /fwsetup/);
  assert.match(readFileSync(join(dir, 'boot/grub/loopback.cfg'), 'utf8'), /findiso=\$\{iso_path\}/);
  for (const f of ['EFI/BOOT/BOOTX64.EFI', 'EFI/BOOT/grubx64.efi', 'EFI/BOOT/mmx64.efi', 'cloud-init-data/user-data', 'cloud-init-data/meta-data']) assert.ok(statSync(join(dir, f)).size > 0, f);
  assert.ok(readFileSync(join(dir, 'EFI/BOOT/BOOTX64.EFI')).equals(readFileSync('/usr/lib/shim/shimx64.efi.signed')), 'the ESP boots the signed shim');
  const release = readFileSync(join(dir, 'dists/bookworm/InRelease'), 'utf8');
  assert.match(release, new RegExp(`main/binary-amd64/Packages`));
  const packages = readFileSync(join(dir, 'dists/bookworm/main/binary-amd64/Packages'), 'utf8');
  assert.match(packages, new RegExp(`^Package: ${POOL_PACKAGE}$`, 'm'));
  assert.match(packages, /^Package: libc6$/m, 'dependencies are in the pool too');
  // the detached signature verifies with the one-time key, which only the image's cdrom.sources holds
  const sums = readFileSync(join(dir, 'SHA256SUMS'), 'utf8');
  assert.match(sums, /\.\/live\/01-base\.squashfs/);
});

test('the live initramfs turns user-space ASLR off first thing and back on in init-bottom, after every other script', async () => {
  const dir = tempDir();
  await extract(iso, dir, ['/live/initrd.img']);
  const initramfs = await readInitramfs(join(dir, 'live/initrd.img'));
  const order = (phase: string) => [...initramfs.get(`scripts/${phase}/ORDER`)!.toString().matchAll(/^\/scripts\/[^/]+\/(\S+) /gm)].map((m) => m[1]);
  const top = order('init-top');
  assert.equal(top[0], '00-golden-aslr-off', `before udev starts: ${top.join(' ')}`);
  const bottom = order('init-bottom');
  assert.equal(bottom.at(-1), 'golden-aslr-restore', bottom.join(' '));
  assert.ok(bottom.length > 1 && top.includes('udev'), `${top.join(' ')} / ${bottom.join(' ')}`);
});

test('the disc carries the manifest, resolved config and SBOM in /.disk/golden, and golden inspect reads them there', async () => {
  const dir = tempDir();
  await extract(iso, dir, ['/.disk/golden']);
  const manifest = JSON.parse(readFileSync(join(dir, '.disk/golden/manifest.json'), 'utf8')) as { image: { name: string }; layers: { step: string }[]; packages: { name: string }[] };
  assert.equal(manifest.image.name, ISO_NAME);
  assert.deepEqual(manifest.layers.map((l) => l.step), ['base', 'packages', 'config', 'finalize']);
  assert.ok(manifest.packages.some((p) => p.name === 'live-boot'), 'the packages of the image are listed');
  assert.match(readFileSync(join(dir, '.disk/golden/golden.yaml'), 'utf8'), new RegExp(`^name: ${ISO_NAME}$`, 'm'));
  const sbom = JSON.parse(readFileSync(join(dir, '.disk/golden/sbom.cdx.json'), 'utf8')) as { bomFormat: string; components: unknown[] };
  assert.equal(sbom.bomFormat, 'CycloneDX');
  assert.equal(sbom.components.length, manifest.packages.length);
  // --debug logs every command: inspect must read the medium only, never unpack a squashfs layer
  const r = await runGolden(['--debug', '--json', 'inspect', iso], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\$ xorriso .*-extract \/\.disk\/golden/);
  assert.doesNotMatch(r.stderr, /unsquashfs/, 'nothing is read from the squashfs layers');
  const j = JSON.parse(r.stdout) as { kind: string; manifest?: { image: { name: string } }; configYaml?: string; sbom?: { bomFormat: string } };
  assert.equal(j.kind, 'iso');
  assert.equal(j.manifest?.image.name, ISO_NAME);
  assert.equal(j.configYaml, readFileSync(join(dir, '.disk/golden/golden.yaml'), 'utf8'));
  assert.equal(j.sbom?.bomFormat, 'CycloneDX');
});

test('md5sum.txt and SHA256SUMS verify, and NAME.iso.sha256 beside the image verifies', async () => {
  const dir = tempDir();
  await extract(iso, dir);
  const md5 = await run('md5sum', ['--quiet', '-c', 'md5sum.txt'], { cwd: dir, allowFailure: true });
  assert.equal(md5.exitCode, 0, md5.stdout + md5.stderr);
  const sha = await run('sha256sum', ['--quiet', '-c', 'SHA256SUMS'], { cwd: dir, allowFailure: true });
  assert.equal(sha.exitCode, 0, sha.stdout + sha.stderr);
  const beside = await run('sha256sum', ['-c', `${basename(iso)}.sha256`], { cwd: dirname(iso), allowFailure: true });
  assert.equal(beside.exitCode, 0, beside.stdout + beside.stderr);
  assert.equal(basename(iso), `${ISO_NAME}.iso`);
});

test('a rebuild after one changed file re-packs only the layers above the change', async () => {
  const dir = tempDir();
  // the first build makes sure every layer's squashfs exists; the second changes one file again
  await isoFixture(changedFile(dir, `first ${Date.now()}\n`), 'rebuild');
  const { build } = await isoFixture(changedFile(dir, `second ${Date.now()}\n`), 'rebuild');
  const squash = build.events.filter((e) => e.event === 'squashfs');
  const cached = Object.fromEntries(squash.map((e) => [String(e['step']), e['cached'] === true]));
  assert.equal(cached['base'], true, JSON.stringify(squash));
  assert.equal(cached['packages'], true, JSON.stringify(squash));
  assert.equal(cached['config'], false, JSON.stringify(squash));
});

test('boots with SeaBIOS; apt installs a pool package with no network; cloud-init reads the NoCloud seed on the disc', { timeout: 80 * 60_000 }, async () => {
  await bootToLogin(iso, 'bios', `GOLDEN-BOOTED name=${ISO_NAME}`, async (vm) => {
    await vm.waitFor(/CLOUD-INIT-NOCLOUD-42/, 10 * 60_000);
    assert.match(vm.console, /golden-nocloud login:/, 'cloud-init set the hostname from meta-data');
    const from = vm.console.length;
    vm.send(`\napt-get update >/dev/null 2>&1; apt-get install -y ${POOL_PACKAGE} >/tmp/apt.log 2>&1 && ${POOL_PACKAGE} && echo POOL-INSTALL-$((6*7))-OK || tail /tmp/apt.log\n`);
    await vm.waitFor(/POOL-INSTALL-42-OK/, 10 * 60_000, from);
    vm.send('apt-get update 2>&1 | grep -c "file:/run/live/medium bookworm InRelease"; apt-get update 2>&1 | grep -ci "NO_PUBKEY\\|not signed" ; echo TRUST-CHECK-DONE\n');
    const m = await vm.waitFor(/(\d+)\r?\n(\d+)\r?\nTRUST-CHECK-DONE/, 5 * 60_000, from);
    assert.equal(m[2], '0', 'apt trusts the pool through cdrom.sources');
    // the initramfs had user-space ASLR off (its scripts say so in the kernel log, which goes to this
    // console); the running system has it back (full randomisation)
    assert.match(vm.console, /golden: user-space ASLR off while the live initramfs runs \(was 2\)/);
    assert.match(vm.console, /golden: user-space ASLR back to 2 before init/);
    vm.send('echo ASLR=$(cat /proc/sys/kernel/randomize_va_space)-CHECK\n');
    assert.equal((await vm.waitFor(/ASLR=(\d)-CHECK/, 60_000, from))[1], '2');
  });
});
