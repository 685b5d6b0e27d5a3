// apt-get update running while publishes happen sees the old or the new archive, never a mix or a hash
// mismatch: updates loop over file: while another process adds and publishes new versions.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { goldenBin, tempDir } from '../helpers.js';
import { PrivateApt, buildDeb, initArchive, repo } from './fixtures.js';

const DIST = 'busy-company';

function runAsync(cmd: string, args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

test('apt-get update during publishes never sees a mix or a hash mismatch', async () => {
  const { archive } = await initArchive();
  const debs = tempDir('golden-busy-');
  await repo(archive, ['add-dist', DIST]);
  await repo(archive, ['add', DIST, ...Array.from({ length: 100 }, (_, i) => buildDeb(debs, { name: `busy${i}`, version: '1.0', compression: 'gzip' }))]);
  const apt = new PrivateApt((await repo(archive, ['sources'])).stdout);
  const versions = Array.from({ length: 8 }, (_, i) => buildDeb(debs, { name: 'churn', version: `1.${i}` }));
  let publishing = true;
  const publisher = (async () => {
    for (const deb of versions) {
      const r = await runAsync(process.execPath, [goldenBin, 'repo', '--archive', archive, 'add', DIST, deb], {});
      assert.equal(r.code, 0, r.out);
    }
    publishing = false;
  })();
  let updates = 0;
  while (publishing) {
    const r = await runAsync('apt-get', ['update'], { APT_CONFIG: apt.conf, LC_ALL: 'C.UTF-8' });
    assert.equal(r.code, 0, r.out);
    assert.doesNotMatch(r.out, /^(W|E):|Hash Sum mismatch|File has unexpected size/m, r.out);
    updates++;
  }
  await publisher;
  assert.ok(updates >= 2, `apt-get update ran ${updates} times while publishing`);
  const final = await runAsync('apt-get', ['update'], { APT_CONFIG: apt.conf, LC_ALL: 'C.UTF-8' });
  assert.equal(final.code, 0, final.out);
  assert.match((await runAsync('apt-cache', ['policy', 'churn'], { APT_CONFIG: apt.conf })).out, /Candidate: 1\.7/);
});
