// Putting a disk artefact into place: the rename replaces the old file at once, the old blocks are freed
// in the background, and nothing is left beside the artefact.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BackgroundRemoval, moveInto } from '../../src/outputs/disk/artefact.js';
import { tempDir } from '../helpers.js';

test('moveInto replaces an artefact; the old one is unlinked later, from the work directory', async () => {
  const dir = tempDir();
  const work = join(dir, 'work');
  const out = join(dir, 'out');
  mkdirSync(work);
  mkdirSync(out);
  const dest = join(out, 'image.qcow2');
  writeFileSync(dest, 'old image');
  const oldIno = statSync(dest).ino;
  writeFileSync(join(work, 'new'), 'new image');
  const later = new BackgroundRemoval();
  await moveInto(join(work, 'new'), dest, work, later);
  assert.equal(readFileSync(dest, 'utf8'), 'new image');
  assert.notEqual(statSync(dest).ino, oldIno);
  await later.settled();
  assert.deepEqual(readdirSync(work), [], 'the replaced file is gone once settled');
  assert.deepEqual(readdirSync(out), ['image.qcow2'], 'nothing beside the artefact');
});

test('moveInto with nothing to replace', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'new'), 'x');
  const later = new BackgroundRemoval();
  await moveInto(join(dir, 'new'), join(dir, 'dest'), dir, later);
  await later.settled();
  assert.equal(readFileSync(join(dir, 'dest'), 'utf8'), 'x');
  assert.ok(!existsSync(join(dir, 'new')));
});
