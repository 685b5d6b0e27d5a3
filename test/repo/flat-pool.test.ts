// publishFlatPool (the ISO's on-disc pool) and the signing functions other modules use.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { publishFlatPool } from '../../src/repo/indexes.js';
import { clearSign, detachSign, generateSigningKey, verifyClearSigned } from '../../src/repo/signing.js';
import { deb822Sources } from '../../src/repo/sources.js';
import { tempDir } from '../helpers.js';
import { PrivateApt, buildDeb, gpgv } from './fixtures.js';

test('publishFlatPool indexes and signs a pool that apt then reads over file:', async () => {
  const root = tempDir('golden-flat-');
  const key = await generateSigningKey({ name: 'ISO one-time signing key' });
  mkdirSync(join(root, 'pool', 'main', 'o'), { recursive: true });
  mkdirSync(join(root, 'pool', 'extra'), { recursive: true });
  const a = buildDeb(join(root, 'pool', 'main', 'o'), { name: 'offline-a', version: '1.0' });
  const b = buildDeb(join(root, 'pool', 'extra'), { name: 'offline-b', version: '2.0', arch: 'all', depends: 'offline-a' });
  await publishFlatPool({ root, suite: 'bookworm', components: ['main', 'extra'], architectures: ['amd64'], debs: ['pool/main/o/offline-a_1.0_amd64.deb', b], signingKey: key.privateArmored, origin: 'Golden ISO' });
  const dist = join(root, 'dists', 'bookworm');
  const keyring = join(tempDir(), 'k.gpg');
  writeFileSync(keyring, key.publicBinary);
  assert.equal(gpgv(keyring, join(dist, 'InRelease')).code, 0);
  assert.equal(gpgv(keyring, join(dist, 'Release.gpg'), join(dist, 'Release')).code, 0);
  assert.match(readFileSync(join(dist, 'extra', 'binary-amd64', 'Packages'), 'utf8'), /^Filename: pool\/extra\/offline-b_2\.0_all\.deb$/m);
  assert.doesNotMatch(readFileSync(join(dist, 'Release'), 'utf8'), /Acquire-By-Hash/);
  const apt = new PrivateApt(deb822Sources({ uris: `file://${root}`, suites: 'bookworm', components: ['main', 'extra'], signedBy: key.publicArmored, checkDate: false }));
  const upd = apt.run('apt-get', ['update']);
  assert.equal(upd.code, 0, upd.out);
  const sim = apt.run('apt-get', ['install', '--simulate', '-o', 'Debug::NoLocking=1', 'offline-b']);
  assert.match(sim.out, /^Inst offline-a /m, sim.out);
  assert.ok(a);
  await assert.rejects(publishFlatPool({ root, suite: 'bookworm', components: ['main'], architectures: ['amd64'], debs: [], signingKey: key.privateArmored }), /already exists/);
});

test('signatures from clearSign/detachSign verify with gpgv and openpgp.js, and are reproducible', async () => {
  const key = await generateSigningKey({ name: 'T', email: 't@example.org' });
  const dir = tempDir();
  const keyring = join(dir, 'k.gpg');
  writeFileSync(keyring, key.publicBinary);
  // dash-escaping, trailing blanks (not part of the canonical text) and a missing final newline
  for (const text of ['Origin: x\n-dash\ntrailing  \n\ttab\t\n', 'no final newline']) {
    const date = new Date(); // not in the future: openpgp.js rejects signatures made later than now
    const cs = await clearSign(text, key.privateArmored, date);
    assert.equal(await clearSign(text, key.privateArmored, date), cs, 'same input and date: same bytes');
    writeFileSync(join(dir, 'in.asc'), cs);
    const v = gpgv(keyring, join(dir, 'in.asc'));
    assert.equal(v.code, 0, v.out);
    assert.equal(await verifyClearSigned(cs, [key.publicArmored]), key.fingerprint);
    writeFileSync(join(dir, 'data'), text);
    writeFileSync(join(dir, 'data.sig'), await detachSign(text, key.privateArmored));
    assert.equal(gpgv(keyring, join(dir, 'data.sig'), join(dir, 'data')).code, 0);
  }
  const other = await generateSigningKey({ name: 'Other' });
  assert.equal(await verifyClearSigned(await clearSign('x\n', other.privateArmored), [key.publicArmored]), undefined);
});
