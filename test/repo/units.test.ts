// Pure pieces of the archive: deb822, version order, ar/tar, xz index sizes, relations, sources text,
// Release formatting, request path resolution, metapackage reproducibility.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readAr, writeAr } from '../../src/repo/ar.js';
import { xzUncompressedSize } from '../../src/repo/compress.js';
import { formatStanza, getField, parseDeb822, sortBinaryFields, stripClearsign } from '../../src/repo/deb822.js';
import { buildMetapackage, normaliseRelations } from '../../src/repo/metapackage.js';
import { debFileName, poolDir } from '../../src/repo/ops.js';
import { formatRelease, hashIndex, releaseDate } from '../../src/repo/release.js';
import { resolveInside } from '../../src/repo/serve.js';
import { armorPublicKey, dearmor } from '../../src/repo/signing.js';
import { deb822Sources } from '../../src/repo/sources.js';
import { readTar, writeTar } from '../../src/repo/tar.js';
import { compareVersions } from '../../src/repo/version.js';
import { tempDir } from '../helpers.js';
import { execFileSync } from 'node:child_process';

test('deb822: multi-line fields survive a parse/format round trip; field order follows dpkg', () => {
  const text = 'Package: foo\nDescription: short\n long line\n .\n more\nVersion: 1.0\nX-Custom: y\nArchitecture: all\n\nPackage: bar\n';
  const [a, b] = parseDeb822(text);
  assert.equal(getField(a!, 'description'), 'short\n long line\n .\n more');
  assert.equal(getField(b!, 'Package'), 'bar');
  assert.equal(formatStanza(sortBinaryFields(a!)), 'Package: foo\nVersion: 1.0\nArchitecture: all\nX-Custom: y\nDescription: short\n long line\n .\n more\n');
  assert.throws(() => parseDeb822(' starts with a continuation'), /continuation/);
  assert.throws(() => parseDeb822('no colon here'), /line 1/);
  const signed = '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nSource: x\n- -dash\n-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n';
  assert.deepEqual(stripClearsign(signed), { body: 'Source: x\n-dash\n', signed: true });
});

test('Debian version comparison matches dpkg --compare-versions', () => {
  const pairs: [string, string][] = [
    ['1.0', '1.0.1'], ['1.0~rc1', '1.0'], ['1.0', '1.0+b1'], ['1:0.1', '2.0'], ['1.0-1', '1.0-2'], ['1.9', '1.10'], ['1.0a', '1.0b'],
    ['2.0~', '2.0'], ['1.0-1~bpo1', '1.0-1'], ['1.2.3', '1.2.3-0'], ['0:1.0', '1.0'],
  ];
  for (const [a, b] of pairs) {
    const dpkg = (op: string) => {
      try {
        execFileSync('dpkg', ['--compare-versions', a, op, b]);
        return true;
      } catch {
        return false;
      }
    };
    const ours = compareVersions(a, b);
    assert.equal(ours < 0, dpkg('lt'), `${a} < ${b}`);
    assert.equal(ours === 0, dpkg('eq'), `${a} = ${b}`);
  }
});

test('ar and tar round trips; a truncated ar member is detected', () => {
  const tar = writeTar([{ name: './', dir: true }, { name: './control', data: Buffer.from('Package: x\n') }, { name: `./${'d/'.repeat(60)}long`, data: Buffer.from('deep') }], 1_700_000_000);
  const entries = readTar(tar);
  assert.deepEqual(entries.map((e) => [e.name, e.type]), [['', 'dir'], ['control', 'file'], [`${'d/'.repeat(60)}long`, 'file']]);
  assert.equal(entries[1]!.data.toString(), 'Package: x\n');
  const ar = writeAr([{ name: 'debian-binary', data: Buffer.from('2.0\n') }, { name: 'odd', data: Buffer.from('abc') }, { name: 'x', data: Buffer.from('yz') }]);
  assert.deepEqual(readAr(ar).map((m) => [m.name, m.data.toString()]), [['debian-binary', '2.0\n'], ['odd', 'abc'], ['x', 'yz']]);
  assert.throws(() => readAr(ar.subarray(0, ar.length - 1)), /truncated/);
  assert.throws(() => readAr(Buffer.from('garbage')), /not an ar archive/);
});

test('the uncompressed size of an .xz stream is read from its index', () => {
  for (const size of [0, 1, 1000, 300_000]) {
    const data = Buffer.alloc(size, 'ab');
    const xz = execFileSync('xz', ['-c'], { input: data });
    assert.equal(xzUncompressedSize(xz), size);
  }
  assert.equal(xzUncompressedSize(Buffer.from('not xz at all, not xz at all')), undefined);
  const twoStreams = Buffer.concat([execFileSync('xz', ['-c'], { input: 'a' }), execFileSync('xz', ['-c'], { input: 'b' })]);
  assert.equal(xzUncompressedSize(twoStreams), undefined, 'two streams are not batchable');
});

test('package relations are normalised and checked', () => {
  assert.deepEqual(normaliseRelations(['vim,  curl (>=7.0)', 'aa|bb', 'vim']), ['vim', 'curl (>=7.0)', 'aa | bb']);
  assert.deepEqual(normaliseRelations('libc6:amd64 (>= 2.36) [amd64]'), ['libc6:amd64 (>= 2.36) [amd64]']);
  assert.throws(() => normaliseRelations('Vim'), /not a valid package relation/);
  assert.throws(() => normaliseRelations('curl (>> )'), /not a valid/);
});

test('pool layout and file names follow Debian', () => {
  assert.equal(poolDir('main', 'hello'), 'pool/main/h/hello');
  assert.equal(poolDir('main', 'libfoo'), 'pool/main/libf/libfoo');
  assert.equal(debFileName({ package: 'x', version: '1:2.0-1', architecture: 'all', kind: 'deb' }), 'x_2.0-1_all.deb');
});

test('Release lists every file with three checksums and a UTC date', () => {
  const data = Buffer.from('Package: a\n');
  const text = formatRelease(
    { origin: 'O', label: 'L', suite: 's', codename: 'c', architectures: ['amd64'], components: ['main'], date: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), byHash: true },
    [{ path: 'main/binary-amd64/Packages', data, hashes: hashIndex(data) }],
  );
  assert.match(text, /^Date: Fri, 02 Jan 2026 03:04:05 UTC$/m);
  assert.equal(releaseDate(new Date(0)), 'Thu, 01 Jan 1970 00:00:00 UTC');
  assert.equal(text.match(/ {15}11 main\/binary-amd64\/Packages$/gm)?.length, 3);
});

test('deb822Sources writes the key inline with " ." for blank lines; armour round-trips', () => {
  const binary = Buffer.from(Array.from({ length: 200 }, (_, i) => i));
  const armored = armorPublicKey(binary);
  assert.deepEqual(dearmor(armored), binary);
  const text = deb822Sources({ uris: 'http://h/', suites: ['a', 'b'], components: 'main', signedBy: armored, checkDate: false });
  const lines = text.split('\n');
  assert.equal(lines[0], 'Types: deb');
  assert.equal(lines[2], 'Suites: a b');
  assert.ok(lines.includes('Check-Date: no'));
  const at = lines.indexOf('Signed-By:');
  assert.equal(lines[at + 1], ' -----BEGIN PGP PUBLIC KEY BLOCK-----');
  assert.equal(lines[at + 2], ' .');
  assert.ok(lines.slice(at + 1).filter(Boolean).every((l) => l.startsWith(' ')));
  // from a binary key file too
  const f = join(tempDir(), 'k.gpg');
  writeFileSync(f, binary);
  assert.ok(deb822Sources({ uris: 'file:///x', suites: 's', components: 'main', signedBy: f }).includes(armored.split('\n')[2]!));
});

test('request paths cannot leave the served directory', async () => {
  const root = tempDir();
  mkdirSync(join(root, 'pub', 'dists'), { recursive: true });
  writeFileSync(join(root, 'pub', 'dists', 'f'), 'x');
  writeFileSync(join(root, 'secret'), 'x');
  symlinkSync(join(root, 'secret'), join(root, 'pub', 'out'));
  symlinkSync('dists', join(root, 'pub', 'in'));
  const pub = join(root, 'pub');
  assert.ok((await resolveInside(pub, '/dists/f'))?.endsWith('/pub/dists/f'));
  assert.ok((await resolveInside(pub, '/in/f'))?.endsWith('/pub/dists/f'), 'symlinks inside are followed');
  for (const p of ['/../secret', '/%2e%2e/secret', '/dists/%2E%2E/%2e%2e/secret', '/out', '/dists/..%2f..%2fsecret', '/%00', '/%zz']) assert.equal(await resolveInside(pub, p), undefined, p);
});

test('a metapackage is reproducible for a given mtime and changes when its dependencies do', async () => {
  const o = { name: 'company-base', version: '1.1', depends: 'aa, bb', mtime: 1_700_000_000 };
  const one = await buildMetapackage(o);
  assert.deepEqual(await buildMetapackage(o), one);
  assert.notDeepEqual(await buildMetapackage({ ...o, depends: 'aa, cc' }), one);
  const members = readAr(one);
  assert.deepEqual(members.map((m) => m.name), ['debian-binary', 'control.tar.gz', 'data.tar.gz']);
  await assert.rejects(buildMetapackage({ ...o, depends: [] }), /at least one dependency/);
  await assert.rejects(buildMetapackage({ ...o, name: 'Bad_Name' }), /invalid package name/);
});
