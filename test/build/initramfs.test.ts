// The shell copy_file() (src/steps/payload/initramfs-copy-file.dash) against initramfs-tools' own, on the
// hook-functions of the distribution's initramfs-tools-core: the same calls, in two DESTDIRs, must give
// the same return codes and the same trees (names, types, modes, link targets, contents).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { COPY_FILE_PAYLOAD, KNOWN_COPY_FILE, copyFileFunction, fastHookFunctions } from '../../src/steps/initramfs.js';
import { sourceFile } from '../../src/paths.js';
import { tempDir } from '../helpers.js';

const payload = readFileSync(sourceFile(COPY_FILE_PAYLOAD), 'utf8');

/** hook-functions of the initramfs-tools-core apt offers this machine (downloaded, unpacked into a temp dir). */
function distributionHookFunctions(): string {
  const dir = tempDir('golden-initramfs-tools-');
  execFileSync('apt-get', ['download', '-q', 'initramfs-tools-core'], { cwd: dir, stdio: 'ignore' });
  const deb = readdirSync(dir).find((f) => f.endsWith('.deb'));
  assert.ok(deb, 'apt-get download gave no initramfs-tools-core .deb');
  execFileSync('dpkg-deb', ['-x', join(dir, deb), join(dir, 'x')]);
  return readFileSync(join(dir, 'x/usr/share/initramfs-tools/hook-functions'), 'utf8');
}

const original = distributionHookFunctions();

test("the distribution's copy_file is one the shell version was checked against", () => {
  const fn = copyFileFunction(original);
  assert.ok(fn, 'no copy_file() in hook-functions');
  const sum = createHash('sha256').update(fn).digest('hex');
  assert.ok(KNOWN_COPY_FILE.has(sum), `copy_file() changed (sha256 ${sum}): compare it with payload/initramfs-copy-file.dash, then add the sum`);
  assert.ok(fastHookFunctions(original, payload)?.includes('golden_copy_file_original()'));
});

test('an unknown copy_file keeps initramfs-tools as it is', () => {
  assert.equal(fastHookFunctions(original.replace(/^copy_file\(\)\s*\n?\{/m, (m) => `${m}\n\t: changed`), payload), undefined);
  assert.equal(fastHookFunctions('no functions here\n', payload), undefined);
});

test('shell copy_file and the original do the same, call for call', () => {
  const dir = tempDir('golden-copy-file-');
  const src = join(dir, 'src');
  mkdirSync(join(src, 'real/sub'), { recursive: true });
  writeFileSync(join(src, 'real/sub/a.ko'), 'module a\n');
  writeFileSync(join(src, 'real/plain'), 'plain\n', { mode: 0o640 });
  symlinkSync('real', join(src, 'linkdir'));
  symlinkSync('plain', join(src, 'real/leaf-link'));
  const calls = [
    ['module', `${src}/real/sub/a.ko`],
    ['module', `${src}/real/sub/a.ko`], // already there: 1
    ['file', `${src}/real/plain`, '/etc/plain'],
    ['file', `${src}/real/plain`, 'etc/plain-relative'],
    ['file', `${src}/real/plain`, '/etc/'], // trailing slash: into the directory
    ['file', `${src}/real/plain`, '/etc'], // an existing directory: into it (already there: 1)
    ['file', `${src}/real/plain`, '/etc/./dot/plain'],
    ['file', `${src}/real/plain`, '//etc//double'],
    ['file', `${src}/linkdir/sub/a.ko`], // through a symlinked directory
    ['file', `${src}/real/leaf-link`], // a symlink itself
    ['file', `${src}/real/../real/plain`, '/etc/dotdot'],
    ['file', `${src}/missing`], // 2
    ['binary', '/bin/true'], // usr-merged source path
    ['binary', '/usr/bin/true', '/bin/true'], // usr-merged target: already there
    ['library', '/lib/x86_64-linux-gnu/libz.so.1'],
  ];
  const script = (fns: string, dest: string) =>
    `set -e\nverbose=n\nversion=test\nDESTDIR='${dest}'\n${fns}\n` +
    calls.map((c) => `rc=0; copy_file ${c.map((a) => `'${a}'`).join(' ')} || rc=$?; echo "$rc"`).join('\n');
  const run = (fns: string, dest: string) => {
    mkdirSync(dest, { recursive: true });
    mkdirSync(join(dest, 'etc'));
    const r = spawnSync('dash', ['-c', script(fns, dest)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const tree = execFileSync('find', ['.', '-printf', '%p %y %m %l\\n'], { cwd: dest, encoding: 'utf8' }).split('\n').sort().join('\n');
    const sums = execFileSync('sh', ['-c', 'find . -type f -exec md5sum {} + | sort -k2'], { cwd: dest, encoding: 'utf8' });
    return { codes: r.stdout, tree, sums };
  };
  const fast = fastHookFunctions(original, payload) ?? `${original.replace(/^copy_file\(\)/m, 'golden_copy_file_original()')}\n${payload}`;
  const a = run(original, join(dir, 'a'));
  const b = run(fast, join(dir, 'b'));
  assert.equal(b.codes, a.codes);
  assert.equal(b.tree, a.tree);
  assert.equal(b.sums, a.sums);
  assert.match(a.codes, /^0\n1\n/, 'the second copy of a file reports "already there"');
  assert.ok(a.codes.includes('2'), 'a missing source gives 2');

  // The same results could come from handing every call to the original: plain paths must be answered
  // without realpath or readlink (shims on PATH record each run of them).
  const shims = join(dir, 'shims');
  const log = join(dir, 'shim.log');
  mkdirSync(shims);
  for (const tool of ['realpath', 'readlink']) {
    writeFileSync(join(shims, tool), `#!/bin/sh\necho ${tool} >> '${log}'\nexec /usr/bin/${tool} "$@"\n`, { mode: 0o755 });
  }
  const plainCalls = [0, 1, 2, 3, 5].map((i) => calls[i]!).map((c) => `copy_file ${c.map((a) => `'${a}'`).join(' ')} || true`).join('\n');
  const toolRuns = (fns: string, dest: string) => {
    writeFileSync(log, '');
    mkdirSync(join(dest, 'etc'), { recursive: true });
    const r = spawnSync('dash', ['-c', `verbose=n\nversion=test\nDESTDIR='${dest}'\n${fns}\n${plainCalls}`], { encoding: 'utf8', env: { ...process.env, PATH: `${shims}:${process.env['PATH'] ?? ''}` } });
    assert.equal(r.status, 0, r.stderr);
    return readFileSync(log, 'utf8').split('\n').filter(Boolean).length;
  };
  assert.ok(toolRuns(original, join(dir, 'c')) > 0, 'the shims see the original at work');
  assert.equal(toolRuns(fast, join(dir, 'd')), 0, 'plain paths went through realpath/readlink');
});
