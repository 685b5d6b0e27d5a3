// Inputs other than disks: rootfs tarballs, OCI images, live ISOs with stacked squashfs layers. Small
// trees made here with the real tools (tar, umoci, mksquashfs, xorriso, an overlay mount for whiteouts).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { extractImageRoot } from '../../src/customize/extract.js';
import { run } from '../../src/exec/run.js';
import { tempDir } from '../helpers.js';
import { layeredLiveIso, smallTree } from './trees.js';

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

function assertSpecialEntries(dest: string): void {
  const t = join(dest, 'srv/golden-test');
  const owned = lstatSync(join(t, 'owned'));
  assert.equal(`${owned.uid}:${owned.gid}`, '1234:5678');
  assert.equal(owned.mode & 0o7777, 0o640);
  assert.equal(lstatSync(join(t, 'setuid')).mode & 0o7777, 0o4755);
  assert.equal(lstatSync(join(t, 'sticky')).mode & 0o7777, 0o1777);
  assert.equal(readlinkSync(join(t, 'link')), 'owned');
}

test('a zstd rootfs tarball is unpacked with owners, modes and links; the input is unchanged', async () => {
  const dir = tempDir();
  const root = smallTree(dir);
  const tarball = join(dir, 'rootfs.tar.zst');
  await run('tar', ['--zstd', '--numeric-owner', '-cf', tarball, '-C', root, '.']);
  const before = sha(tarball);
  const dest = join(dir, 'out');
  const r = await extractImageRoot(tarball, dest);
  assert.equal(r.kind, 'tar');
  assertSpecialEntries(dest);
  assert.equal(lstatSync(join(dest, 'srv/golden-test/hardlink')).ino, lstatSync(join(dest, 'srv/golden-test/owned')).ino);
  assert.equal(sha(tarball), before);
});

test('an OCI layout (and an OCI archive) is flattened with its whiteouts applied', async () => {
  const dir = tempDir();
  const root = smallTree(dir);
  const layout = join(dir, 'layout');
  await run('umoci', ['init', '--layout', layout]);
  await run('umoci', ['new', '--image', `${layout}:v1`]);
  await run('umoci', ['insert', '--image', `${layout}:v1`, root, '/']);
  await run('umoci', ['insert', '--image', `${layout}:v1`, '--whiteout', '/etc/to-delete']);
  const dest = join(dir, 'out');
  const r = await extractImageRoot(layout, dest);
  assert.equal(r.kind, 'oci');
  assert.equal(readFileSync(join(dest, 'etc/hostname'), 'utf8'), 'base\n');
  assert.ok(!existsSync(join(dest, 'etc/to-delete')), 'the whiteout of the second layer removed the file');
  assertSpecialEntries(dest);

  const archive = join(dir, 'image.oci.tar');
  await run('tar', ['-cf', archive, '-C', layout, '.']);
  const before = sha(archive);
  const dest2 = join(dir, 'out2');
  assert.equal((await extractImageRoot(archive, dest2)).kind, 'oci');
  assert.ok(existsSync(join(dest2, 'etc/hostname')) && !existsSync(join(dest2, 'etc/to-delete')));
  assert.equal(sha(archive), before);
});

test('a live ISO is flattened in filesystem.module order: whiteouts delete, opaque directories hide the layer below', async () => {
  const dir = tempDir();
  const iso = await layeredLiveIso(dir);
  const before = sha(iso);
  const dest = join(dir, 'out');
  const r = await extractImageRoot(iso, dest);
  assert.equal(r.kind, 'iso');
  if (r.kind === 'iso') assert.deepEqual(r.details.layers, ['01-base.squashfs', '02-config.squashfs']);
  assert.equal(readFileSync(join(dest, 'etc/hostname'), 'utf8'), 'layer2\n', 'the upper layer wins');
  assert.ok(!existsSync(join(dest, 'etc/to-delete')), 'the whiteout deleted the file');
  assert.ok(existsSync(join(dest, 'opt/app/new-file')));
  assert.ok(!existsSync(join(dest, 'opt/app/old')), 'the opaque directory hides the base content');
  assertSpecialEntries(dest);
  const leftovers = (await run('find', [dest, '-type', 'c'])).stdout.trim();
  assert.equal(leftovers, '', 'no whiteout device is left in the tree');
  assert.equal(sha(iso), before);
});
