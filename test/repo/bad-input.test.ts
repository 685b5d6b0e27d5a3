// Input the archive must refuse with a clear message, leaving every byte of the archive as it was;
// .changes verification (and signed uploads), source packages, init refusing to overwrite, the lock.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { before, test } from 'node:test';
import { clearSign, generateSigningKey } from '../../src/repo/signing.js';
import { runGolden, tempDir } from '../helpers.js';
import { buildDeb, initArchive, repo, treeDigest } from './fixtures.js';

const DIST = 'stable-company';
let archive = '';
let work = '';

function changesFor(files: string[], extra = ''): string {
  const h = (f: string, alg: string) => createHash(alg).update(readFileSync(f)).digest('hex');
  const size = (f: string) => readFileSync(f).length;
  return (
    `Format: 1.8\nDate: Sat, 21 Nov 2026 10:00:00 +0000\nSource: upload\nArchitecture: amd64 all\nVersion: 1.0\nDistribution: ${DIST}\nMaintainer: Test <test@example.org>\nChanges:\n upload (1.0) ${DIST}; urgency=medium\n .\n   * test\n${extra}` +
    `Checksums-Sha256:\n${files.map((f) => ` ${h(f, 'sha256')} ${size(f)} ${basename(f)}`).join('\n')}\n` +
    `Files:\n${files.map((f) => ` ${h(f, 'md5')} ${size(f)} misc optional ${basename(f)}`).join('\n')}\n`
  );
}

async function expectRefused(args: string[], message: RegExp): Promise<void> {
  const before = treeDigest(archive);
  const r = await repo(archive, args, true);
  assert.notEqual(r.code, 0, `expected failure: ${args.join(' ')}`);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace for a user error');
  assert.equal(treeDigest(archive), before, 'the archive is byte-for-byte unchanged');
}

before(async () => {
  ({ archive } = await initArchive());
  work = tempDir('golden-bad-');
  await repo(archive, ['add-dist', DIST]);
  await repo(archive, ['add', DIST, buildDeb(work, { name: 'base', version: '1.0' })]);
});

test('a .changes whose file was altered is refused, archive unchanged', async () => {
  const dir = join(work, 'altered');
  mkdirSync(dir);
  const deb = buildDeb(dir, { name: 'tool', version: '1.0' });
  const changes = join(dir, 'upload_1.0_amd64.changes');
  writeFileSync(changes, changesFor([deb]));
  // same size, different bytes: the checksum, not the size, catches it
  const data = readFileSync(deb);
  data[data.length - 1] = data[data.length - 1]! ^ 0xff;
  writeFileSync(deb, data);
  await expectRefused(['add', DIST, changes], /tool_1\.0_amd64\.deb does not match its MD5 checksum|SHA256 checksum/);
  truncateSync(deb, 100);
  await expectRefused(['add', DIST, changes], /does not match its size \(100 bytes/);
});

test('a truncated .deb, a garbage file and a duplicate with different content are refused, archive unchanged', async () => {
  const dir = join(work, 'bad');
  mkdirSync(dir);
  const good = buildDeb(dir, { name: 'good', version: '1.0' });
  const truncated = join(dir, 'trunc_1.0_amd64.deb');
  copyFileSync(buildDeb(join(dir), { name: 'trunc', version: '1.0', payload: 'x'.repeat(5000) }), truncated);
  truncateSync(truncated, readFileSync(truncated).length - 200);
  await expectRefused(['add', DIST, good, truncated], /trunc_1\.0_amd64\.deb: ar member "data\.tar\.xz" is truncated/);
  const garbage = join(dir, 'garbage_1.0_amd64.deb');
  writeFileSync(garbage, 'this is not a package\n'.repeat(10));
  await expectRefused(['add', DIST, good, garbage], /garbage_1\.0_amd64\.deb: not an ar archive/);
  const badControl = join(dir, 'badxz_1.0_amd64.deb');
  const bytes = readFileSync(buildDeb(join(dir), { name: 'badxz', version: '1.0' }));
  const at = 8 + 60 + 4 + 60 + 40; // inside control.tar.xz
  bytes[at] = bytes[at]! ^ 0x55;
  writeFileSync(badControl, bytes);
  await expectRefused(['add', DIST, good, badControl], /badxz_1\.0_amd64\.deb: control\.tar: cannot decompress/);
  const dupDir = join(dir, 'dup');
  mkdirSync(dupDir);
  const dup = buildDeb(dupDir, { name: 'base', version: '1.0', payload: 'different content\n' });
  await expectRefused(['add', DIST, dup], /already in the archive with different content/);
  await expectRefused(['add', DIST, join(dir, 'missing.deb')], /cannot read .*missing\.deb: ENOENT/);
  await expectRefused(['add', DIST, buildDeb(dir, { name: 'armpkg', version: '1', arch: 'arm64' })], /architecture arm64 is not one of/);
  // adding the identical file again is not an error and changes nothing
  const again = await repo(archive, ['add', DIST, join(work, 'base_1.0_amd64.deb')]);
  assert.match(again.stderr, /nothing to add/);
});

test('a valid .changes with a source package adds binaries and Sources', async () => {
  const dir = join(work, 'src');
  const pkg = join(dir, 'hello-src-1.0');
  mkdirSync(join(pkg, 'debian', 'source'), { recursive: true });
  writeFileSync(join(pkg, 'debian', 'source', 'format'), '3.0 (native)\n');
  writeFileSync(join(pkg, 'debian', 'control'), 'Source: hello-src\nMaintainer: Test <test@example.org>\nSection: misc\nPriority: optional\nStandards-Version: 4.6.2\n\nPackage: hello-bin\nArchitecture: amd64\nDescription: hello\n test\n');
  writeFileSync(join(pkg, 'debian', 'changelog'), 'hello-src (1.0) stable; urgency=medium\n\n  * test\n\n -- Test <test@example.org>  Sat, 21 Nov 2026 10:00:00 +0000\n');
  writeFileSync(join(pkg, 'debian', 'rules'), '#!/usr/bin/make -f\n%:\n\tdh $@\n');
  execFileSync('dpkg-source', ['-b', 'hello-src-1.0'], { cwd: dir, stdio: 'pipe' });
  const dsc = join(dir, 'hello-src_1.0.dsc');
  const tarball = readdirSync(dir).find((f) => f.startsWith('hello-src_1.0.tar'))!;
  const deb = buildDeb(dir, { name: 'hello-bin', version: '1.0' });
  const changes = join(dir, 'hello-src_1.0_amd64.changes');
  writeFileSync(changes, changesFor([dsc, join(dir, tarball), deb]));
  const r = await repo(archive, ['add', DIST, changes]);
  assert.match(r.stderr, /added 2 package/);
  const dists = join(archive, 'public', 'dists', DIST);
  const sources = readFileSync(join(dists, 'main', 'source', 'Sources'), 'utf8');
  assert.match(sources, /^Package: hello-src$/m);
  assert.match(sources, /^Directory: pool\/main\/h\/hello-src$/m);
  assert.match(sources, new RegExp(` ${tarball.replace(/\./g, '\\.')}$`, 'm'));
  assert.match(sources, / hello-src_1\.0\.dsc$/m);
  assert.match(readFileSync(join(dists, 'Release'), 'utf8'), / main\/source\/Sources\.xz$/m);
  for (const f of ['hello-src_1.0.dsc', tarball]) readFileSync(join(archive, 'public', 'pool', 'main', 'h', 'hello-src', f));
  readFileSync(join(archive, 'public', 'pool', 'main', 'h', 'hello-bin', 'hello-bin_1.0_amd64.deb')); // no Source: field, so its own name
});

test('--allow-uploader requires a .changes signed by one of the given keys', async () => {
  const dir = join(work, 'signed');
  mkdirSync(dir);
  const deb = buildDeb(dir, { name: 'signed-tool', version: '1.0' });
  const uploader = await generateSigningKey({ name: 'Uploader', email: 'dev@example.org' });
  const stranger = await generateSigningKey({ name: 'Stranger' });
  const keyFile = join(dir, 'uploader.gpg');
  writeFileSync(keyFile, uploader.publicBinary);
  const text = changesFor([deb]);
  const unsigned = join(dir, 'unsigned.changes');
  writeFileSync(unsigned, text);
  await expectRefused(['add', DIST, unsigned, '--allow-uploader', keyFile], /is not signed/);
  const wrong = join(dir, 'wrong.changes');
  writeFileSync(wrong, await clearSign(text, stranger.privateArmored));
  await expectRefused(['add', DIST, wrong, '--allow-uploader', keyFile], /not signed by an allowed uploader key/);
  const good = join(dir, 'good.changes');
  writeFileSync(good, await clearSign(text, uploader.privateArmored));
  const r = await repo(archive, ['add', DIST, good, '--allow-uploader', keyFile]);
  assert.match(r.stderr, /added 1 package/);
});

test('a newer version replaces the older one unless --keep asks for more; older versions are refused', async () => {
  const dir = join(work, 'versions');
  mkdirSync(dir);
  await repo(archive, ['add', DIST, buildDeb(dir, { name: 'ver', version: '1.0' })]);
  await repo(archive, ['add', DIST, buildDeb(dir, { name: 'ver', version: '1.0+b1' })]);
  const list = JSON.parse((await repo(archive, ['list', DIST, '--json'])).stdout) as { name: string; version: string }[];
  assert.deepEqual(list.filter((r) => r.name === 'ver').map((r) => r.version), ['1.0+b1']);
  await expectRefused(['add', DIST, buildDeb(dir, { name: 'ver', version: '0.9' })], /older than 1\.0\+b1/);
  await repo(archive, ['add-dist', 'kept', '--keep', '2']);
  for (const v of ['1', '2', '3']) await repo(archive, ['add', 'kept', buildDeb(dir, { name: 'kk', version: v, payload: v })]);
  const kept = JSON.parse((await repo(archive, ['list', 'kept', '--json'])).stdout) as { version: string }[];
  assert.deepEqual(kept.map((r) => r.version), ['2', '3']);
  await repo(archive, ['remove', 'kept', 'kk=3']);
  assert.deepEqual(JSON.parse((await repo(archive, ['list', 'kept', '--json'])).stdout).map((r: { version: string }) => r.version), ['2']);
  await expectRefused(['remove', 'kept', 'nothere'], /has no package nothere/);
  const rm = await repo(archive, ['remove-dist', 'kept'], true);
  assert.equal(rm.code, 2);
  assert.match(rm.stderr, /needs confirmation[\s\S]*--yes/);
  await repo(archive, ['remove-dist', 'kept', '--yes']);
  await repo(archive, ['publish']); // the generation before still referenced the pool files; now they go
  assert.throws(() => readdirSync(join(archive, 'public', 'pool', 'main', 'k', 'kk')));
});

test('golden init refuses to overwrite anything', async () => {
  const { dir } = await initArchive();
  const before = treeDigest(dir);
  const r = await runGolden(['init', dir]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /already exist.*never overwrites/);
  assert.equal(treeDigest(dir), before);
  const onlyYaml = tempDir();
  writeFileSync(join(onlyYaml, 'golden.yaml'), 'name: mine\n');
  assert.equal((await runGolden(['init', onlyYaml])).code, 1);
  assert.deepEqual(readdirSync(onlyYaml), ['golden.yaml']);
});

test('a second writer waits for the lock, then fails clearly; a dead holder\'s lock is taken over', async () => {
  const lock = join(archive, 'db', 'lock');
  const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    writeFileSync(lock, `${sleeper.pid}\n`);
    const r = await repo(archive, ['--wait', '1', 'publish'], true);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`locked by another golden process \\(PID ${sleeper.pid}\\)`));
    assert.match(r.stderr, /--wait/);
  } finally {
    sleeper.kill('SIGKILL');
  }
  await new Promise((resolve) => sleeper.once('exit', resolve));
  // the holder is gone now (as after a SIGKILL): the next command takes the stale lock over
  const r = await repo(archive, ['--wait', '1', 'publish']);
  assert.equal(r.code, 0);
  assert.throws(() => readFileSync(lock), 'the lock is released');
});
