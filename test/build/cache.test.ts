import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { layerInputs, layerKey } from '../../src/cache/keys.js';
import { CacheStore } from '../../src/cache/store.js';
import { linkFiles, publishFiles } from '../../src/steps/apt.js';
import { tempDir } from '../helpers.js';

test('an entry appears under its key only when committed, with its inputs and size', async () => {
  const store = CacheStore.open(join(tempDir(), 'cache'));
  const key = layerKey(null, 'base', { a: 1 }, {});
  const tmp = store.makeTmp('base');
  mkdirSync(join(tmp, 'tree', 'etc'), { recursive: true });
  writeFileSync(join(tmp, 'tree', 'etc', 'x'), 'x'.repeat(5000));
  assert.equal(store.lookup('layer', key), undefined, 'not visible while being made');
  const e = await store.commit(tmp, { kind: 'layer', key, step: 'base', inputs: layerInputs(null, 'base', { a: 1 }, {}), created: new Date().toISOString(), seconds: 1 });
  assert.ok(!existsSync(tmp), 'the work directory was renamed into place');
  assert.equal(readFileSync(join(store.layerTree(key), 'etc', 'x'), 'utf8').length, 5000);
  const found = store.lookup('layer', key)!;
  assert.equal(found.step, 'base');
  assert.ok(found.bytes >= 5000);
  assert.deepEqual(found.inputs.options, { a: 1 });
  assert.deepEqual(store.list().map((x) => x.key), [key]);
  store.remove(e);
  assert.equal(store.lookup('layer', key), undefined);
});

test('work directories of dead processes are cleared, those of live ones kept', () => {
  const store = CacheStore.open(join(tempDir(), 'cache'));
  const dead = spawnSync('true').pid!;
  mkdirSync(join(store.dir, 'tmp', `${dead}-packages-abc`, 'tree'), { recursive: true });
  const mine = store.makeTmp('config');
  const live = join(store.dir, 'tmp', '1-config-init');
  mkdirSync(live);
  store.clearStale();
  assert.deepEqual(readdirSync(join(store.dir, 'tmp')).sort(), ['1-config-init', mine.split('/').pop()!].sort());
});

test('the second builder of a key waits until the first releases it', async () => {
  const store = CacheStore.open(join(tempDir(), 'cache'));
  const order: string[] = [];
  const first = await store.lock('k');
  const second = store.lock('k').then((l) => {
    order.push('second got it');
    return l;
  });
  await new Promise((r) => setTimeout(r, 300));
  order.push('first releases');
  first.release();
  (await second).release();
  assert.deepEqual(order, ['first releases', 'second got it']);
});

test('private apt directories are hard links of the shared cache; new downloads are linked back', () => {
  const dir = tempDir();
  const shared = join(dir, 'shared');
  mkdirSync(shared);
  writeFileSync(join(shared, 'a_1_all.deb'), 'a');
  writeFileSync(join(shared, 'lock'), '');
  const priv = join(dir, 'private');
  linkFiles(shared, priv, (n) => n.endsWith('.deb'));
  assert.deepEqual(readdirSync(priv).sort(), ['a_1_all.deb', 'partial']);
  writeFileSync(join(priv, 'b_1_all.deb'), 'b');
  publishFiles(priv, shared, (n) => n.endsWith('.deb'));
  assert.deepEqual(readdirSync(shared).sort(), ['a_1_all.deb', 'b_1_all.deb', 'lock']);
  assert.equal(readFileSync(join(shared, 'b_1_all.deb'), 'utf8'), 'b');
});

test('cache gc keeps what the latest build of each config uses and removes the rest', async () => {
  const { cacheGc } = await import('../../src/cache/commands.js');
  const store = CacheStore.open(join(tempDir(), 'cache'));
  const keys: string[] = [];
  for (const n of [1, 2]) {
    const key = layerKey(null, 'base', { n }, {});
    keys.push(key);
    const tmp = store.makeTmp('base');
    mkdirSync(join(tmp, 'tree'), { recursive: true });
    await store.commit(tmp, { kind: 'layer', key, step: 'base', inputs: layerInputs(null, 'base', { n }, {}), created: new Date().toISOString(), seconds: 0 });
  }
  writeFileSync(store.recordPath('cfg'), JSON.stringify({ configPath: '/x/golden.yaml', finished: '', steps: [{ name: 'base', key: keys[0], inputs: {}, seconds: 0, cached: false }], outputs: [] }));
  await cacheGc({ cacheDir: store.dir, olderThanDays: 30, all: false, dryRun: false, json: true });
  assert.equal(store.list().length, 2, 'recent entries stay');
  await cacheGc({ cacheDir: store.dir, olderThanDays: 0, all: true, dryRun: true, json: true });
  assert.equal(store.list().length, 2, 'a dry run removes nothing');
  await cacheGc({ cacheDir: store.dir, olderThanDays: 0, all: true, dryRun: false, json: true });
  assert.deepEqual(store.list().map((e) => e.key), [keys[0]], 'the referenced layer stays');
});
