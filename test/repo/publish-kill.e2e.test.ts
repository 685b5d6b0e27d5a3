// A publish killed with SIGKILL at random moments, again and again, never leaves an archive apt
// rejects: after every kill, apt-get update (file:, Signed-By the archive key) succeeds and gpgv
// accepts InRelease; and the next command takes over the dead writer's lock.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { type Dirent, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { goldenBin, tempDir } from '../helpers.js';
import { PrivateApt, buildDeb, gpgv, initArchive, repo } from './fixtures.js';

const DIST = 'kill-company';

test('SIGKILL at random moments during add+publish leaves the last good publication', async () => {
  const { archive } = await initArchive();
  const debs = tempDir('golden-kill-');
  await repo(archive, ['add-dist', DIST]);
  // enough packages that publishing takes a while, so kills land inside it
  const many = Array.from({ length: 150 }, (_, i) => buildDeb(debs, { name: `pkg${i}`, version: '1.0', compression: 'gzip' }));
  await repo(archive, ['add', DIST, ...many]);
  const sources = (await repo(archive, ['sources'])).stdout;
  const apt = new PrivateApt(sources);
  let killedMidway = 0;
  const rounds = 12;
  for (let round = 0; round < rounds; round++) {
    const deb = buildDeb(debs, { name: 'moving', version: `1.${round}` });
    const child = spawn(process.execPath, [goldenBin, 'repo', '--archive', archive, '--wait', '30', 'add', DIST, deb], { stdio: 'ignore' });
    const delay = Math.floor(Math.random() * 900);
    const exited = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(false);
      }, delay);
      child.once('exit', () => {
        clearTimeout(t);
        resolve(true);
      });
    });
    if (!exited) {
      killedMidway++;
      await new Promise((resolve) => child.once('exit', resolve));
    }
    const upd = apt.run('apt-get', ['update']);
    assert.equal(upd.code, 0, `round ${round} (killed after ${delay} ms): ${upd.out}`);
    assert.doesNotMatch(upd.out, /^(W|E):/m, `round ${round}: ${upd.out}`);
    const pol = apt.run('apt-cache', ['policy', 'pkg149']);
    assert.match(pol.out, /Candidate: 1\.0/, `round ${round}: the full package list is published`);
    const v = gpgv(join(archive, 'keys', 'signing.gpg'), join(archive, 'public', 'dists', DIST, 'InRelease'));
    assert.equal(v.code, 0, v.out);
  }
  assert.ok(killedMidway > 0, 'at least one run was killed before it finished');
  // afterwards the archive still works normally: the dead writers' lock and temp files are handled
  const last = buildDeb(debs, { name: 'moving', version: '2.0' });
  await repo(archive, ['--wait', '5', 'add', DIST, last]);
  const upd = apt.run('apt-get', ['update']);
  assert.equal(upd.code, 0, upd.out);
  assert.match(apt.run('apt-cache', ['policy', 'moving']).out, /Candidate: 2\.0/);
  // files the killed runs left in the pool (temp files, packages never published) are collected:
  // after two more publishes the pool holds exactly what the current Packages lists
  await repo(archive, ['publish']);
  await repo(archive, ['publish']);
  const listed = readFileSync(join(archive, 'public', 'dists', DIST, 'main', 'binary-amd64', 'Packages'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Filename: '))
    .map((l) => l.slice('Filename: '.length))
    .sort();
  const inPool = (readdirSync(join(archive, 'public', 'pool'), { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((e) => !e.isDirectory())
    .map((e) => relative(join(archive, 'public'), join(e.parentPath ?? e.path, e.name)))
    .sort();
  assert.deepEqual(inPool, listed);
});
