// The seven `golden iso` steps run one by one, the way a livecd-rootfs style build script calls
// isobuild: the artefacts (kernel, initrd, squashfs layers) are taken from the e2e ISO's live system, a
// fresh pool is made and signed, its cdrom.sources is put into one more layer, and the finished disc
// must boot under OVMF with Secure Boot enforced (Microsoft keys) to the marker and a login prompt, with
// apt trusting the new pool.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { run } from '../../src/exec/run.js';
import { runGolden, tempDir } from '../helpers.js';
import { bootToLogin } from './boot.js';
import { ISO_NAME, POOL_PACKAGE, isoFixture } from './fixture.js';
import { extract, xorrisoReport } from './inspect.js';

let source = '';
before(async () => {
  ({ iso: source } = await isoFixture());
});

async function golden(args: string[]): Promise<string> {
  const r = await runGolden(args, { timeoutMs: 20 * 60_000 });
  assert.equal(r.code, 0, `golden ${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}

test('golden iso steps one by one make a disc that boots with Secure Boot enforced and the new pool trusted', { timeout: 80 * 60_000 }, async () => {
  const dir = tempDir();
  const w = join(dir, 'work');
  const art = join(dir, 'artefacts');
  const live = join(dir, 'from-iso');
  await extract(source, live, ['/live']);
  mkdirSync(art);
  copyFileSync(join(live, 'live/vmlinuz'), join(art, 'livecd.kernel'));
  copyFileSync(join(live, 'live/initrd.img'), join(art, 'livecd.initrd'));
  for (const f of readdirSync(join(live, 'live')).filter((f) => f.endsWith('.squashfs'))) copyFileSync(join(live, 'live', f), join(art, `livecd.${f}`));

  // isobuild's own spellings, so its scripts run unchanged
  await golden(['iso', '--workdir', w, 'init', '--disk-info', 'Stepwise 2.0 - Release amd64 (20260101)', '--series', 'bookworm', '--arch', 'amd64']);
  await golden(['iso', '--work-dir', w, 'setup-apt', '--components', 'main']);
  writeFileSync(join(dir, 'pool.list'), `# packages on the disc\n${POOL_PACKAGE}\n`);
  await golden(['iso', '--work-dir', w, 'generate-pool', '--package-list-file', join(dir, 'pool.list')]);
  const sources = await golden(['iso', '--work-dir', w, 'generate-sources', '--mountpoint', '/run/live/medium']);
  assert.match(sources, /^Types: deb\nURIs: file:\/\/\/run\/live\/medium\nSuites: bookworm\n/);
  // the build script puts the sources into a layer of its own, stacked last
  const layer = join(dir, 'sources-layer');
  mkdirSync(join(layer, 'etc/apt/sources.list.d'), { recursive: true });
  writeFileSync(join(layer, 'etc/apt/sources.list.d/cdrom.sources'), sources);
  await run('mksquashfs', [layer, join(art, 'livecd.06-sources.squashfs'), '-comp', 'zstd', '-quiet', '-no-progress']);
  await golden(['iso', '--work-dir', w, 'add-live-filesystem', '--artifact-prefix', join(art, 'livecd.')]);
  await golden(['iso', '--work-dir', w, 'make-bootable', '--project', 'stepwise', '--capproject', 'Stepwise', '--kernel-arg', 'console=ttyS0,115200']);
  const dest = join(dir, 'stepwise.iso');
  await golden(['iso', '--work-dir', w, 'make-iso', '--volid', 'Stepwise 2.0 amd64', '--dest', dest]);

  assert.match(await xorrisoReport(dest, 'el_torito'), /El Torito boot img :\s+2\s+UEFI/);
  const check = join(dir, 'check');
  await extract(dest, check, ['/.disk', '/live']);
  assert.equal(readFileSync(join(check, '.disk/info'), 'utf8'), 'Stepwise 2.0 - Release amd64 (20260101)');
  assert.match(readFileSync(join(check, 'live/filesystem.module'), 'utf8').trim().split('\n').at(-1) ?? '', /^\d\d-sources\.squashfs$/, 'the sources layer is stacked last');
  assert.match(readFileSync(`${dest}.sha256`, 'utf8'), /^[0-9a-f]{64} {2}stepwise\.iso\n$/);

  // Secure Boot enforced with Microsoft's keys: shim, signed GRUB and the signed kernel from make-bootable
  await bootToLogin(dest, 'secure-boot', `GOLDEN-BOOTED name=${ISO_NAME}`, async (vm) => {
    const from = vm.console.length;
    vm.send('\napt-get update 2>&1 | grep -ci "NO_PUBKEY\\|not signed\\|is not valid"; echo STEP-TRUST-DONE\n');
    const m = await vm.waitFor(/(\d+)\r?\nSTEP-TRUST-DONE/, 10 * 60_000, from);
    assert.equal(m[1], '0', 'apt trusts the pool made by generate-pool through the generated cdrom.sources');
  });
});
