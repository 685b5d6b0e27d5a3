// The archive as real clients see it: apt-get (private Dir:: configuration, trusting only the archive
// key via Signed-By) over file: and over `golden repo serve`, gpgv on InRelease and Release.gpg.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { goldenBin, tempDir } from '../helpers.js';
import { PrivateApt, buildDeb, gpgv, initArchive, repo } from './fixtures.js';

const DIST = 'bookworm-company';
let archive = '';
let debs = '';

before(async () => {
  ({ archive } = await initArchive());
  debs = tempDir('golden-debs-');
  await repo(archive, ['add-dist', DIST, '--components', 'main,vendor', '--origin', 'ACME', '--description', 'ACME company packages']);
  const files = [
    buildDeb(debs, { name: 'dep-a', version: '1.0', compression: 'xz' }),
    buildDeb(debs, { name: 'dep-b', version: '2.0-1', compression: 'gzip' }),
    buildDeb(debs, { name: 'dep-c', version: '1:0.5', compression: 'none', arch: 'all' }),
    buildDeb(debs, { name: 'libdep-d', version: '3.0', compression: 'zstd', depends: 'dep-a' }),
  ];
  await repo(archive, ['add', DIST, ...files]);
  await repo(archive, ['metapackage', DIST, 'company-desktop', '--depends', 'dep-a, dep-b (>= 2.0), dep-c | dep-missing', '--recommends', 'libdep-d']);
});

test('init made the key files with the right modes and an empty pool', () => {
  assert.equal(statSync(join(archive, 'keys', 'signing.key')).mode & 0o777, 0o600);
  assert.match(readFileSync(join(archive, 'keys', 'signing.asc'), 'utf8'), /BEGIN PGP PUBLIC KEY BLOCK/);
  assert.ok(existsSync(join(archive, 'public', 'archive-key.gpg')));
  assert.ok(!readFileSync(join(archive, 'public', 'archive-key.asc'), 'utf8').includes('PRIVATE'));
});

test('gpgv verifies InRelease and Release.gpg with the exported binary keyring', () => {
  const dist = join(archive, 'public', 'dists', DIST);
  const keyring = join(archive, 'keys', 'signing.gpg');
  const a = gpgv(keyring, join(dist, 'InRelease'));
  assert.equal(a.code, 0, a.out);
  const b = gpgv(keyring, join(dist, 'Release.gpg'), join(dist, 'Release'));
  assert.equal(b.code, 0, b.out);
  // and a tampered Release fails
  const tampered = join(tempDir(), 'Release');
  writeFileSync(tampered, readFileSync(join(dist, 'Release'), 'utf8').replace('ACME', 'EVIL'));
  assert.notEqual(gpgv(keyring, join(dist, 'Release.gpg'), tampered).code, 0);
});

test('Release has the fields apt needs and checksums of plain and compressed indexes', () => {
  const rel = readFileSync(join(archive, 'public', 'dists', DIST, 'Release'), 'utf8');
  for (const f of ['Origin: ACME', 'Label: ACME', `Suite: ${DIST}`, `Codename: ${DIST}`, 'Architectures: amd64', 'Components: main vendor', 'Acquire-By-Hash: yes', 'MD5Sum:', 'SHA256:', 'SHA512:']) {
    assert.ok(rel.includes(f), `Release lacks ${f}`);
  }
  assert.match(rel, /^Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d UTC$/m);
  for (const p of ['main/binary-amd64/Packages', 'main/binary-amd64/Packages.gz', 'main/binary-amd64/Packages.xz', 'main/binary-amd64/Release', 'vendor/binary-amd64/Packages']) {
    assert.match(rel, new RegExp(` ${p.replace(/\./g, '\\.')}$`, 'm'));
  }
  const packages = readFileSync(join(archive, 'public', 'dists', DIST, 'main', 'binary-amd64', 'Packages'), 'utf8');
  const stanza = packages.split('\n\n').find((s) => s.startsWith('Package: libdep-d'))!.trim();
  assert.deepEqual(
    stanza.split('\n').map((l) => l.split(':')[0]),
    ['Package', 'Version', 'Maintainer', 'Architecture', 'Depends', 'Section', 'Priority', 'Description', ' a package made by the Golden tests', 'Filename', 'Size', 'MD5sum', 'SHA1', 'SHA256'],
  );
  assert.match(stanza, /Filename: pool\/main\/libd\/libdep-d\/libdep-d_3\.0_amd64\.deb/);
});

async function startServer(): Promise<{ child: ChildProcess; url: string; log: () => string }> {
  const child = spawn(process.execPath, [goldenBin, 'repo', '--archive', archive, 'serve', '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^(http:\/\/\S+)\n/m.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  return { child, url, log: () => stderr };
}

let server: Awaited<ReturnType<typeof startServer>> | undefined;
after(() => {
  if (server?.child.pid) process.kill(server.child.pid, 'SIGTERM');
});

for (const transport of ['file', 'http'] as const) {
  test(`apt-get update, download and dependency resolution over ${transport}:`, async () => {
    let url = `file://${join(archive, 'public')}`;
    if (transport === 'http') {
      server ??= await startServer();
      url = server.url;
    }
    const sources = await repo(archive, ['sources', '--url', url, '--dist', DIST]);
    assert.match(sources.stdout, /^Signed-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n \.\n/m);
    const apt = new PrivateApt(sources.stdout);
    const upd = apt.run('apt-get', ['update']);
    assert.equal(upd.code, 0, upd.out);
    assert.doesNotMatch(upd.out, /^(W|E):/m, upd.out);
    const dl = tempDir();
    const got = apt.run('apt-get', ['download', 'dep-b'], dl);
    assert.equal(got.code, 0, got.out);
    assert.deepEqual(readdirSync(dl), ['dep-b_2.0-1_amd64.deb']);
    const deps = apt.run('apt-cache', ['depends', 'company-desktop']);
    assert.equal(deps.code, 0, deps.out);
    assert.match(deps.out, /Depends: dep-a/);
    const sim = apt.run('apt-get', ['install', '--simulate', '-o', 'Debug::NoLocking=1', 'company-desktop']);
    assert.equal(sim.code, 0, sim.out);
    for (const p of ['company-desktop', 'dep-a', 'dep-b', 'dep-c', 'libdep-d']) assert.match(sim.out, new RegExp(`^Inst ${p} `, 'm'), sim.out);
    if (transport === 'http') {
      // spawnSync blocked our event loop: let the server's piped stderr arrive before reading it
      for (let i = 0; i < 50 && !server!.log().includes('InRelease'); i++) await new Promise((r) => setTimeout(r, 100));
      assert.match(server!.log(), /"GET \/dists\/bookworm-company\/InRelease HTTP\/1\.1" 200 \d+ /);
    }
  });
}

test('apt rejects the archive when Signed-By names another key', async () => {
  const other = await initArchive();
  const wrong = await repo(other.archive, ['add-dist', DIST]).then(() => repo(other.archive, ['sources']));
  const apt = new PrivateApt(wrong.stdout.replace(/URIs: .*/, `URIs: file://${join(archive, 'public')}`));
  const upd = apt.run('apt-get', ['update']);
  assert.match(upd.out, /NO_PUBKEY|not signed|invalid|NOSPLIT|public key is not available/i, upd.out);
});

test('the metapackage is versioned 1.N and only bumped when its dependency list changes', async () => {
  const v = async () => JSON.parse((await repo(archive, ['list', DIST, '--json'])).stdout).filter((r: { name: string }) => r.name === 'company-desktop').map((r: { version: string }) => r.version);
  assert.deepEqual(await v(), ['1.1']);
  const same = await repo(archive, ['metapackage', DIST, 'company-desktop', '--depends', 'dep-a, dep-b (>= 2.0), dep-c | dep-missing', '--recommends', 'libdep-d']);
  assert.match(same.stderr, /unchanged/);
  assert.deepEqual(await v(), ['1.1']);
  const list = join(tempDir(), 'list');
  writeFileSync(list, '# the desktop\ndep-a\ndep-b (>= 2.0)\n');
  await repo(archive, ['metapackage', DIST, 'company-desktop', '--from-file', list, '--recommends', 'libdep-d']);
  assert.deepEqual(await v(), ['1.2']);
});

test('HTTP server: Range, HEAD, conditional GET, and nothing outside public/', async () => {
  server ??= await startServer();
  const base = server.url;
  const rel = await fetch(`${base}dists/${DIST}/Release`);
  assert.equal(rel.status, 200);
  const body = await rel.text();
  const etag = rel.headers.get('etag')!;
  assert.ok(etag && rel.headers.get('last-modified'));
  const part = await fetch(`${base}dists/${DIST}/Release`, { headers: { Range: 'bytes=0-5' } });
  assert.equal(part.status, 206);
  assert.equal(await part.text(), body.slice(0, 6));
  assert.equal(part.headers.get('content-range'), `bytes 0-5/${Buffer.byteLength(body)}`);
  const tail = await fetch(`${base}dists/${DIST}/Release`, { headers: { Range: 'bytes=-4' } });
  assert.equal(await tail.text(), body.slice(-4));
  assert.equal((await fetch(`${base}dists/${DIST}/Release`, { headers: { Range: 'bytes=999999-' } })).status, 416);
  assert.equal((await fetch(`${base}dists/${DIST}/Release`, { headers: { 'If-None-Match': etag } })).status, 304);
  const head = await fetch(`${base}dists/${DIST}/Release`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(body)));
  assert.equal((await fetch(base, { method: 'POST' })).status, 405);
  // traversal: raw and percent-encoded dot segments, and a symlink pointing out of public/
  const { request } = await import('node:http');
  const raw = (path: string) =>
    new Promise<number>((resolve, reject) => {
      const u = new URL(base);
      request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
  for (const p of ['/../keys/signing.key', '/%2e%2e/keys/signing.key', '/%2E%2E%2Fkeys%2Fsigning.key', '/pool/../../keys/signing.key', '/..%2f..%2fkeys/signing.key', '/../../../../etc/passwd']) {
    assert.equal(await raw(p), 404, p);
  }
  const { symlinkSync } = await import('node:fs');
  symlinkSync(join(archive, 'keys'), join(archive, 'public', 'escape'));
  assert.equal(await raw('/escape/signing.key'), 404);
  assert.equal(await raw('/archive-key.asc'), 200);
  const { unlinkSync } = await import('node:fs');
  unlinkSync(join(archive, 'public', 'escape'));
});
