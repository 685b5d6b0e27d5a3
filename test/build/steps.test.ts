import assert from 'node:assert/strict';
import { existsSync, linkSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from '../../src/exec/run.js';
import { compressorCommand, tarArgs } from '../../src/outputs/tar.js';
import { LISTS_FRESH_MS, listsFresh, stampLists } from '../../src/steps/apt.js';
import { eatmydataHooks, mmdebstrapArgs, type BaseOptions } from '../../src/steps/base.js';
import { grubDropin, kernelCommandLine } from '../../src/steps/kernel-cmdline.js';
import { parsePackageList } from '../../src/steps/packages.js';
import { repoRoot, tempDir } from '../helpers.js';

const base: BaseOptions = {
  kind: 'mmdebstrap',
  vendor: 'debian',
  suite: 'bookworm',
  architecture: 'amd64',
  variant: 'minbase',
  components: ['main', 'contrib'],
  sources: ['deb http://mirror.invalid/debian bookworm main contrib'],
  packages: ['less', 'vim-tiny'],
  extraOptions: ['--verbose'],
};

test('mmdebstrap command line: variant, packages, .deb cache bind, hooks, then suite, target, sources', () => {
  const args = mmdebstrapArgs(base, '/c/tmp/x/tree', '/c/debs/debian');
  assert.ok(args.includes('--variant=minbase'));
  assert.ok(args.includes('--components=main,contrib'));
  assert.ok(args.includes('--include=less,vim-tiny'));
  assert.ok(args.includes('--skip=essential/unlink'), 'downloaded .debs stay in the cache');
  assert.ok(args.some((a) => a.startsWith('--setup-hook=mount --bind ') && a.includes("'/c/debs/debian'")));
  assert.ok(args.some((a) => a.startsWith('--customize-hook=umount')));
  assert.ok(args.some((a) => a.includes('rm -f') && a.includes('/etc/resolv.conf')), 'no host resolv.conf in the base layer');
  assert.deepEqual(args.slice(-4), ['--verbose', 'bookworm', '/c/tmp/x/tree', 'deb http://mirror.invalid/debian bookworm main contrib']);
});

test('mmdebstrap command line: eatmydata hooks and the lists hand-over are hooks, before suite, target, sources', () => {
  const args = mmdebstrapArgs(base, '/c/tmp/x/tree', '/c/debs/debian', { extract: '/h/extract.sh', off: '/g/off.sh' }, '/c/tmp/x/scratch/lists');
  assert.ok(args.includes(`--extract-hook='/h/extract.sh' "$1"`));
  assert.ok(args.includes(`--customize-hook=/bin/bash '/g/off.sh' "$1"`));
  const lists = args.find((a) => a.startsWith('--customize-hook=mkdir -p \'/c/tmp/x/scratch/lists\''));
  assert.ok(lists?.includes('cp -l'), 'lists are hard-linked out of the tree');
  assert.deepEqual(args.slice(-4), ['--verbose', 'bookworm', '/c/tmp/x/tree', 'deb http://mirror.invalid/debian bookworm main contrib']);
  assert.ok(!mmdebstrapArgs(base, '/t', '/d').some((a) => a.includes('eatmydata') || a.includes('lists')), 'both are optional');
  const hooks = eatmydataHooks('debian');
  if (hooks) assert.ok(existsSync(hooks.extract) && existsSync(hooks.off));
  assert.equal(eatmydataHooks('alpine'), undefined);
});

test('apt lists stamp: fresh for the same sources within the window, a new file each time', () => {
  const dir = tempDir();
  const sources = 'deb http://mirror.invalid/debian bookworm main\n';
  assert.equal(listsFresh(dir, sources), false, 'no stamp: not fresh');
  const t = 1_800_000_000_000;
  stampLists(dir, sources, t);
  assert.equal(listsFresh(dir, sources, t + 60_000), true);
  assert.equal(listsFresh(dir, `${sources}deb http://mirror.invalid/x y z\n`, t + 60_000), false, 'other sources');
  assert.equal(listsFresh(dir, sources, t + LISTS_FRESH_MS), false, 'too old');
  assert.equal(listsFresh(dir, sources, t - 1000), false, 'from the future');
  // a private copy hard-links the shared stamp: re-stamping must not change the shared file
  const shared = tempDir();
  linkSync(join(dir, 'golden-fetched'), join(shared, 'golden-fetched'));
  stampLists(dir, 'other\n', t);
  assert.equal(listsFresh(shared, sources, t + 1), true);
  assert.notEqual(statSync(join(shared, 'golden-fetched')).ino, statSync(join(dir, 'golden-fetched')).ino);
});

test('package lists: one or more names per line, comments and blank lines ignored', () => {
  assert.deepEqual(parsePackageList('# tools\nless\n\nvim-tiny curl # net\n  htop  \n'), ['less', 'vim-tiny', 'curl', 'htop']);
});

test('tar is reproducible: sorted, numeric owners, clamped mtimes, no atime/ctime; compressors use every core', () => {
  const args = tarArgs('/mnt', 1700000000);
  for (const a of ['--sort=name', '--numeric-owner', '--xattrs', '--mtime=@1700000000', '--clamp-mtime', '--format=posix']) assert.ok(args.includes(a), a);
  assert.ok(args.some((a) => a.includes('delete=atime,delete=ctime')));
  assert.deepEqual(compressorCommand('zstd')?.slice(0, 2), ['zstd', '-T0']);
  assert.deepEqual(compressorCommand('xz')?.slice(0, 2), ['xz', '-T0']);
  assert.ok(compressorCommand('gz')!.includes('-n'), 'gzip without name and time stamp');
  assert.equal(compressorCommand('none'), undefined);
});

test('kernel command line goes to a GRUB drop-in that appends to the distribution default', () => {
  const config = { kernel: { commandLine: ['console=ttyS0,115200', 'quiet'] } } as never;
  assert.equal(kernelCommandLine(config), 'console=ttyS0,115200 quiet');
  assert.match(grubDropin(config), /^GRUB_CMDLINE_LINUX="\$\{GRUB_CMDLINE_LINUX:\+\$GRUB_CMDLINE_LINUX \}console=ttyS0,115200 quiet"$/m);
});

test('every shell payload of the build and of the test fixtures passes shellcheck', async () => {
  const dirs = [join(repoRoot, 'src', 'steps', 'payload'), join(repoRoot, 'test', 'fixtures', 'payload')];
  const files = dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.sh')).map((f) => join(d, f)));
  assert.ok(files.length >= 4);
  for (const f of files) {
    const text = (await import('node:fs')).readFileSync(f, 'utf8');
    assert.match(text, /^#!\/bin\/bash\n/, `${f} is a bash script`);
    assert.match(text, /^set -euo pipefail$/m, `${f} sets -euo pipefail`);
  }
  const r = await run('shellcheck', files, { allowFailure: true });
  assert.equal(r.exitCode, 0, r.stdout + r.stderr);
  // fragments sourced by a dash script (no shebang of their own)
  const fragments = readdirSync(dirs[0]!).filter((f) => f.endsWith('.dash')).map((f) => join(dirs[0]!, f));
  assert.ok(fragments.length >= 1);
  const d = await run('shellcheck', ['--shell=dash', ...fragments], { allowFailure: true });
  assert.equal(d.exitCode, 0, d.stdout + d.stderr);
});
