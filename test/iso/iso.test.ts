// Quick tests of the ISO's pure parts (names, menus, command lines) and of the step order of `golden iso`.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from '../../src/exec/run.js';
import { parseDeb822Sources, parseOneLineSources } from '../../src/isobuild/host-mirror.js';
import { parseDiskInfo } from '../../src/isobuild/cli-actions.js';
import { discPath } from '../../src/outputs/iso/additional-files.js';
import { capitalise, diskInfoLine, volumeId } from '../../src/outputs/iso/disk-info.js';
import { grubConfig, grubQuote, loopbackConfig } from '../../src/outputs/iso/grub-config.js';
import { cdromSources, parsePackageList, poolDir } from '../../src/outputs/iso/pool.js';
import { debianVendor } from '../../src/outputs/iso/vendor/debian.js';
import { ubuntuVendor } from '../../src/outputs/iso/vendor/ubuntu.js';
import { xorrisoArgs } from '../../src/outputs/iso/xorriso.js';
import { compressionTag, mksquashfsArgs, resolveCompression } from '../../src/outputs/squashfs.js';
import { repoRoot, runGolden, tempDir } from '../helpers.js';

const EPOCH = 1767225600; // 2026-01-01T00:00:00Z

test('.disk/info follows isobuild: "{CapProject} {version} - {Daily|Release} {arch} ({YYYYMMDD})"', () => {
  assert.equal(diskInfoLine({ capProject: 'Golden', version: '1.2', official: false, arch: 'amd64', epoch: EPOCH }), 'Golden 1.2 - Daily amd64 (20260101)');
  assert.equal(diskInfoLine({ capProject: 'Golden', version: '1.2', official: true, arch: 'amd64', epoch: EPOCH }), 'Golden 1.2 - Release amd64 (20260101)');
  assert.equal(capitalise('office-desktop'), 'Office-desktop');
  assert.deepEqual(parseDiskInfo('Office Desk 2.0 - Release amd64 (20260101)'), { capProject: 'Office Desk', version: '2.0', official: true });
});

test('the volume id is at most 32 characters and keeps the version whole', () => {
  assert.equal(volumeId({ capProject: 'Golden', version: '1.2', arch: 'amd64' }), 'Golden 1.2 amd64');
  const long = volumeId({ capProject: 'Accounting-department-workstation', version: '2026.01.5', arch: 'amd64' });
  assert.ok(long.length <= 32, long);
  assert.ok(long.endsWith(' 2026.01.5'), long);
  assert.ok(volumeId({ capProject: 'X'.repeat(40), version: 'v'.repeat(40), arch: 'amd64' }).length <= 32);
  assert.equal(volumeId({ capProject: 'My Image!', version: '1', arch: 'amd64' }), 'My_Image_ 1 amd64');
});

test('grub.cfg: live, safe graphics, UEFI-only firmware entry, short timeout, arguments in order and quoted', () => {
  const cfg = grubConfig({ title: 'Golden 1.0', vendor: debianVendor, kernelArguments: ['console=ttyS0', 'ds=nocloud;s=file:///x/'], layers: ['01-base.squashfs'], timeoutSeconds: 3 });
  assert.match(cfg, /set timeout=3/);
  assert.match(cfg, /menuentry 'Start Golden 1.0 \(live\)' \{\n\tlinux\t\/live\/vmlinuz boot=live console=ttyS0 'ds=nocloud;s=file:\/\/\/x\/'\n\tinitrd\t\/live\/initrd.img/);
  assert.match(cfg, /safe graphics\)' \{\n\tlinux\t.* nomodeset\n/);
  assert.match(cfg, /if \[ "\$grub_platform" = "efi" \]; then\n(.*\n)*menuentry 'UEFI Firmware Settings' \{\n\tfwsetup/);
  assert.equal(grubQuote("it's"), `'it'\\''s'`);
  const withInstaller = grubConfig({ title: 'G 1', vendor: debianVendor, kernelArguments: ['quiet'], layers: [], timeoutSeconds: 3, extraEntries: [{ title: 'Install G', kernelArguments: ['golden.install=guided'] }] });
  assert.match(withInstaller, /menuentry 'Install G' \{\n\tlinux\t\/live\/vmlinuz boot=live quiet golden.install=guided\n/);
  assert.ok(withInstaller.indexOf('(live)') < withInstaller.indexOf('Install G'), 'the live entry stays the default');
  const loop = loopbackConfig({ title: 'Golden 1.0', vendor: debianVendor, kernelArguments: [], layers: [], timeoutSeconds: 3 });
  assert.match(loop, /linux\t\/live\/vmlinuz boot=live "findiso=\$\{iso_path\}"/);
  const ub = grubConfig({ title: 'U 1', vendor: ubuntuVendor, kernelArguments: [], layers: ubuntuVendor.layerFileNames(['base', 'config']), timeoutSeconds: 1 });
  assert.match(ub, /\/casper\/vmlinuz boot=casper layerfs-path=base.config.squashfs/);
});

test('the image gets a kernel, live-boot, systemd and zstd (for the initramfs), but not live-config (50 s per boot under emulation)', async () => {
  const { isoOutput } = await import('../../src/outputs/iso/index.js');
  const { goldenConfigSchema } = await import('../../src/config/schema.js');
  const config = goldenConfigSchema.parse({ name: 'x', outputs: [{ type: 'iso' }] });
  const pkgs = isoOutput.imagePackages!(config.outputs[0] as never, config);
  assert.deepEqual(pkgs, ['linux-image-amd64', 'live-boot', 'systemd-sysv', 'zstd']);
});

test('layer file names sort in stacking order and filesystem.module lists them base first', () => {
  const names = debianVendor.layerFileNames(['base', 'packages', 'config', 'finalize', 'live']);
  assert.deepEqual(names, ['01-base.squashfs', '02-packages.squashfs', '03-config.squashfs', '04-finalize.squashfs', '05-live.squashfs']);
  assert.deepEqual([...names].sort(), names);
  assert.equal(debianVendor.layerManifest(names)['filesystem.module'], `${names.join('\n')}\n`);
});

test('xorriso: BIOS El Torito, UEFI El Torito on the appended GPT ESP, hybrid MBR, ISO level 3', () => {
  const args = xorrisoArgs({ isoRoot: '/w/iso-root', espImage: '/w/esp.img', volumeId: 'Golden 1 amd64', output: '/o.iso', sourceDateEpoch: EPOCH });
  const s = args.join(' ');
  assert.match(s, /-iso-level 3/);
  assert.match(s, /-b boot\/grub\/i386-pc\/eltorito.img -no-emul-boot -boot-load-size 4 -boot-info-table --grub2-boot-info/);
  assert.match(s, /--grub2-mbr \/usr\/lib\/grub\/i386-pc\/boot_hybrid.img/);
  assert.match(s, /-append_partition 2 0xef \/w\/esp.img -appended_part_as_gpt/);
  assert.match(s, /-eltorito-alt-boot -e --interval:appended_partition_2:all:: -no-emul-boot/);
  assert.equal(args[args.indexOf('-V') + 1], 'Golden 1 amd64');
  assert.equal(args.at(-1), '/w/iso-root');
  assert.ok(args.includes('--modification-date=2026010100000000'));
});

test('compression presets: fast is zstd 3, small is xz', () => {
  assert.deepEqual(resolveCompression('fast'), { algorithm: 'zstd', level: 3 });
  assert.deepEqual(resolveCompression('small'), { algorithm: 'xz' });
  assert.equal(compressionTag(resolveCompression({ algorithm: 'zstd', level: 15 })), 'zstd-15');
  const fast = mksquashfsArgs(resolveCompression('fast'), 2).join(' ');
  assert.match(fast, /-comp zstd -Xcompression-level 3/);
  assert.match(mksquashfsArgs(resolveCompression('small'), 2).join(' '), /-comp xz -processors 2$/);
});

test('pool lists: one name a line, comments, and germinate tables', () => {
  assert.deepEqual(parsePackageList('# pool\nhello\n\nvim-tiny # editor\n'), ['hello', 'vim-tiny']);
  const germinate = 'Package        | Source | Why\n---------------+--------+----\nhello          | hello  | Ubuntu.Desktop\nlibc6 | glibc | Rescue\n---------------+--------+----\n';
  assert.deepEqual(parsePackageList(germinate), ['hello', 'libc6']);
  assert.equal(poolDir('main', 'libc6'), 'pool/main/libc/libc6');
  assert.equal(poolDir('main', 'hello'), 'pool/main/h/hello');
});

test('cdrom.sources is deb822 with the key inline ("." for blank armour lines) and no date check', () => {
  const key = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxjMEabc\n=abcd\n-----END PGP PUBLIC KEY BLOCK-----\n';
  const text = cdromSources({ mountpoint: '/run/live/medium', suite: 'bookworm', publicKey: key });
  assert.match(text, /^Types: deb\nURIs: file:\/\/\/run\/live\/medium\nSuites: bookworm\nComponents: main\nCheck-Date: no\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n \.\n xjMEabc\n/);
});

test('the host mirror is read from deb822 and one-line apt sources', () => {
  const d = parseDeb822Sources('Types: deb\n# comment\nURIs: http://m.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\nTypes: deb-src\nURIs: http://x/\nSuites: s\n');
  assert.deepEqual(d, [{ uri: 'http://m.example/debian', suites: ['bookworm', 'bookworm-updates'], components: ['main'] }]);
  assert.deepEqual(parseOneLineSources('deb [arch=amd64] http://m.example/debian bookworm main contrib\n# deb http://old bullseye main\n'), [
    { uri: 'http://m.example/debian', suites: ['bookworm'], components: ['main', 'contrib'] },
  ]);
});

test('additional files may not leave the disc or replace its own directories', () => {
  assert.equal(discPath('/cloud-init-data/user-data'), 'cloud-init-data/user-data');
  assert.throws(() => discPath('../etc/passwd'), /not a path on the disc/);
  assert.throws(() => discPath('/live/x'), /would replace the disc's own \/live/);
});

test('golden iso: a step run out of order names the step that must come first', async () => {
  const dir = tempDir();
  const w = join(dir, 'w');
  let r = await runGolden(['iso', '--work-dir', w, 'make-iso', '--dest', join(dir, 'x.iso')]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /not an ISO work directory yet/);
  assert.match(r.stderr, /init/);
  r = await runGolden(['iso', '--workdir', w, 'init', '--disk-info', 'Golden 1.0 - Daily amd64 (20260101)', '--series', 'bookworm', '--arch', 'amd64']);
  assert.equal(r.code, 0, r.stderr);
  r = await runGolden(['iso', '--work-dir', w, 'make-bootable', '--capproject', 'Golden']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /make-bootable must come after add-live-filesystem/);
  r = await runGolden(['iso', '--work-dir', w, 'generate-sources']);
  assert.match(r.stderr, /generate-sources must come after generate-pool/);
  r = await runGolden(['iso', 'init', '--series', 'bookworm', '--arch', 'amd64']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /needs a work directory/);
});

test('add-live-filesystem finds PREFIX artefacts and keeps the layers in name order', async () => {
  const { findArtifacts } = await import('../../src/isobuild/steps.js');
  const dir = tempDir();
  mkdirSync(join(dir, 'b'));
  for (const f of ['livecd.kernel', 'livecd.initrd', 'livecd.02-config.squashfs', 'livecd.01-base.squashfs', 'other.squashfs']) writeFileSync(join(dir, 'b', f), f);
  const found = findArtifacts(join(dir, 'b', 'livecd.'));
  assert.deepEqual(found.layers.map((l) => l.step), ['base', 'config']);
  assert.equal(found.kernel, join(dir, 'b', 'livecd.kernel'));
});

test('the live-system payload passes shellcheck', async () => {
  const r = await run('shellcheck', ['-s', 'bash', join(repoRoot, 'src/outputs/iso/payload/golden-live-ready.sh')], { allowFailure: true });
  assert.equal(r.exitCode, 0, r.stdout + r.stderr);
});

test('the kernel is found through the layer stack as overlayfs merges it: newest version, whiteouts, opaque /boot', async () => {
  const { findKernelInLayers } = await import('../../src/outputs/iso/kernel.js');
  const dir = tempDir();
  const layer = (name: string, files: Record<string, string>) => {
    const d = join(dir, name);
    for (const [f, content] of Object.entries(files)) {
      mkdirSync(join(d, f, '..'), { recursive: true });
      writeFileSync(join(d, f), content);
    }
    mkdirSync(d, { recursive: true });
    return d;
  };
  const base = layer('base', { 'boot/vmlinuz-6.1.0-9-amd64': 'k9', 'boot/initrd.img-6.1.0-9-amd64': 'i9' });
  const pkgs = layer('packages', { 'boot/vmlinuz-6.1.0-10-amd64': 'k10', 'boot/initrd.img-6.1.0-10-amd64': 'i10' });
  const config = layer('config', { 'etc/motd': 'hi' });
  let k = await findKernelInLayers([base, pkgs, config]);
  assert.deepEqual(k, { version: '6.1.0-10-amd64', kernel: join(pkgs, 'boot/vmlinuz-6.1.0-10-amd64'), initrd: join(pkgs, 'boot/initrd.img-6.1.0-10-amd64') }, 'numeric version order, from the layer that has it');
  // a later layer removes the newer kernel (overlayfs whiteout: a 0/0 character device)
  const removal = layer('removal', {});
  mkdirSync(join(removal, 'boot'));
  await run('mknod', [join(removal, 'boot/vmlinuz-6.1.0-10-amd64'), 'c', '0', '0']);
  k = await findKernelInLayers([base, pkgs, config, removal]);
  assert.equal(k.version, '6.1.0-9-amd64');
  assert.equal(k.initrd, join(base, 'boot/initrd.img-6.1.0-9-amd64'));
  // an opaque /boot hides everything below it
  const opaque = layer('opaque', { 'boot/vmlinuz-5.10.0-1-amd64': 'k5' });
  await run('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', join(opaque, 'boot')]);
  await assert.rejects(findKernelInLayers([base, pkgs, opaque]), /has the kernel 5\.10\.0-1-amd64 but no \/boot\/initrd\.img-5\.10\.0-1-amd64/);
  await assert.rejects(findKernelInLayers([config]), /no kernel in \/boot/);
});

test('boot loaders made once are reused from the cache, and the disc gets the same files', async () => {
  const { writeBootFiles } = await import('../../src/outputs/iso/boot-files.js');
  const { readFileSync, readdirSync } = await import('node:fs');
  const signed = debianVendor.signedBootFiles('amd64');
  const dir = tempDir();
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  assert.equal(await writeBootFiles(a, join(dir, 'a.esp'), signed, join(dir, 'cache')), false);
  assert.equal(await writeBootFiles(b, join(dir, 'b.esp'), signed, join(dir, 'cache')), true);
  assert.deepEqual(readdirSync(join(b, 'boot/grub/i386-pc')).sort(), readdirSync(join(a, 'boot/grub/i386-pc')).sort());
  assert.ok(readFileSync(join(b, 'boot/grub/i386-pc/eltorito.img')).equals(readFileSync(join(a, 'boot/grub/i386-pc/eltorito.img'))));
  assert.ok(readFileSync(join(b, 'EFI/BOOT/BOOTX64.EFI')).equals(readFileSync(signed.shim)));
  const dirList = await run('mdir', ['-i', join(dir, 'b.esp'), '-b', '::/EFI/BOOT'], { env: { MTOOLS_SKIP_CHECK: '1' } });
  assert.match(dirList.stdout, /BOOTX64\.EFI/i);
});

test("the live initramfs hook drops live-boot's network and KMS drivers, keeping those a kept module needs", async () => {
  const hook = join(repoRoot, 'src/outputs/iso/payload/golden-live-trim.hook');
  const { isoOutput } = await import('../../src/outputs/iso/index.js');
  const { goldenConfigSchema } = await import('../../src/config/schema.js');
  const config = goldenConfigSchema.parse({ name: 'x', outputs: [{ type: 'iso' }] });
  assert.deepEqual(isoOutput.initramfsFiles!(config.outputs[0] as never, config), [
    'outputs/iso/payload/golden-live-trim.hook',
    'outputs/iso/payload/00-golden-aslr-off.init-top',
    'outputs/iso/payload/golden-aslr-restore.init-bottom',
  ]);
  assert.equal((await run('shellcheck', [hook], { allowFailure: true })).exitCode, 0);
  const dir = tempDir();
  const version = '9.9.9-golden-test';
  const deps: Record<string, string[]> = {
    'kernel/drivers/scsi/cxgbi/cxgb4i.ko': ['kernel/drivers/net/ethernet/chelsio/cxgb4.ko', 'kernel/drivers/net/mdio.ko'],
    'kernel/drivers/net/ethernet/chelsio/cxgb4.ko': ['kernel/drivers/net/mdio.ko'],
    'kernel/drivers/net/mdio.ko': [],
    'kernel/drivers/net/ethernet/intel/e1000e.ko': [],
    'kernel/drivers/gpu/drm/i915/i915.ko': ['kernel/drivers/gpu/drm/drm.ko'],
    'kernel/drivers/gpu/drm/drm.ko': [],
    'kernel/fs/ext4/ext4.ko': [],
  };
  mkdirSync(join(dir, 'host', version), { recursive: true });
  writeFileSync(join(dir, 'host', version, 'modules.dep'), Object.entries(deps).map(([m, d]) => `${m}: ${d.join(' ')}\n`).join(''));
  const trim = async (live: boolean) => {
    const dest = join(dir, live ? 'live' : 'installed');
    for (const m of Object.keys(deps)) {
      mkdirSync(join(dest, 'usr/lib/modules', version, m, '..'), { recursive: true });
      writeFileSync(join(dest, 'usr/lib/modules', version, m), '');
    }
    mkdirSync(join(dest, 'scripts'), { recursive: true });
    if (live) writeFileSync(join(dest, 'scripts/live'), '');
    await run('sh', [hook], { env: { DESTDIR: dest, version, GOLDEN_MODULES_DIR: join(dir, 'host') } });
    const left = (await run('find', [join(dest, 'usr/lib/modules', version), '-name', '*.ko'])).stdout.split('\n').filter(Boolean).map((p) => p.slice(p.indexOf('kernel/'))).sort();
    return { left, gpuDir: (await run('find', [join(dest, 'usr/lib/modules', version, 'kernel/drivers'), '-maxdepth', '1'])).stdout.includes('/gpu') };
  };
  const live = await trim(true);
  assert.deepEqual(live.left, ['kernel/drivers/net/ethernet/chelsio/cxgb4.ko', 'kernel/drivers/net/mdio.ko', 'kernel/drivers/scsi/cxgbi/cxgb4i.ko', 'kernel/fs/ext4/ext4.ko']);
  assert.equal(live.gpuDir, false, 'emptied directories are removed');
  const installed = await trim(false);
  assert.equal(installed.left.length, Object.keys(deps).length, 'an initramfs without live-boot is left alone');
});

test('the live initramfs turns user-space ASLR off at init-top and restores the saved value after every other init-bottom script', async () => {
  const { isoOutput, LIVE_ASLR_SCRIPTS } = await import('../../src/outputs/iso/index.js');
  const { initramfsFileDestination } = await import('../../src/steps/initramfs.js');
  const { goldenConfigSchema } = await import('../../src/config/schema.js');
  const kept = goldenConfigSchema.parse({ name: 'x', iso: { initramfsAslr: true }, outputs: [{ type: 'iso' }] });
  assert.deepEqual(isoOutput.initramfsFiles!(kept.outputs[0] as never, kept), ['outputs/iso/payload/golden-live-trim.hook'], 'iso.initramfsAslr: true leaves them out');
  assert.deepEqual(LIVE_ASLR_SCRIPTS.map(initramfsFileDestination), ['/etc/initramfs-tools/scripts/init-top/00-golden-aslr-off', '/etc/initramfs-tools/scripts/init-bottom/golden-aslr-restore']);
  assert.equal(initramfsFileDestination('a/golden-live-trim.hook'), '/etc/initramfs-tools/hooks/golden-live-trim');
  assert.throws(() => initramfsFileDestination('a/script.sh'), /NAME\.hook or NAME\.PHASE/);
  const [off, restore] = LIVE_ASLR_SCRIPTS.map((f) => join(repoRoot, 'src', f)) as [string, string];
  for (const script of [off, restore]) assert.equal((await run('shellcheck', ['--shell=sh', script], { allowFailure: true })).exitCode, 0, script);
  // prereqs, as mkinitramfs asks them: every other init-bottom script of the configuration directory
  const confdir = tempDir();
  mkdirSync(join(confdir, 'scripts/init-bottom'), { recursive: true });
  for (const f of ['golden-aslr-restore', 'zz-local']) writeFileSync(join(confdir, 'scripts/init-bottom', f), '');
  const prereqs = (await run('sh', [restore, 'prereqs'], { env: { CONFDIR: confdir } })).stdout.trim().split(/\s+/);
  assert.ok(prereqs.includes('zz-local') && !prereqs.includes('golden-aslr-restore'), prereqs.join(' '));
  assert.equal((await run('sh', [off, 'prereqs'])).stdout, '');
  // the boot scripts on a stand-in for the initramfs root
  const root = (cmdline: string) => {
    const r = tempDir();
    mkdirSync(join(r, 'proc/sys/kernel'), { recursive: true });
    mkdirSync(join(r, 'run'));
    mkdirSync(join(r, 'dev'));
    writeFileSync(join(r, 'proc/cmdline'), `${cmdline}\n`);
    return r;
  };
  const sysctl = (r: string) => join(r, 'proc/sys/kernel/randomize_va_space');
  for (const cmdline of ['BOOT_IMAGE=/boot/vmlinuz root=UUID=1234 ro quiet', 'BOOT_IMAGE=/vmlinuz boot=livecd', 'boot=local']) {
    const other = root(cmdline);
    writeFileSync(sysctl(other), '2\n');
    await run('sh', [off], { env: { GOLDEN_INITRAMFS_ROOT: other } });
    assert.equal(readFileSync(sysctl(other), 'utf8').trim(), '2', `not a live boot, randomisation stays: ${cmdline}`);
    assert.ok(!existsSync(join(other, 'dev/kmsg')), 'and nothing is logged');
  }
  const live = root('BOOT_IMAGE=/live/vmlinuz boot=live console=ttyS0');
  for (const before of ['2', '1', '0']) {
    writeFileSync(sysctl(live), `${before}\n`);
    await run('sh', [off], { env: { GOLDEN_INITRAMFS_ROOT: live } });
    assert.equal(readFileSync(sysctl(live), 'utf8').trim(), '0');
    await run('sh', [restore], { env: { GOLDEN_INITRAMFS_ROOT: live } });
    assert.equal(readFileSync(sysctl(live), 'utf8').trim(), before, 'the value from before the initramfs comes back');
    assert.equal(readFileSync(join(live, 'dev/kmsg'), 'utf8'), `<5>golden: user-space ASLR back to ${before} before init\n`, 'the kernel log says so');
    assert.ok(!existsSync(join(live, 'run/golden-aslr')));
  }
});
