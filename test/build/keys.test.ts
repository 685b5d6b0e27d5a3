import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson, layerKey, layerInputs, keyOf } from '../../src/cache/keys.js';
import { explainChange } from '../../src/build/record.js';

test('canonicalJson sorts keys at every level and drops undefined fields', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } }), '{"a":{"d":[3,{"y":2,"z":1}]},"b":1}');
  assert.equal(canonicalJson([undefined, null]), '[null,null]');
  assert.throws(() => canonicalJson({ x: Number.NaN }));
});

test('layerKey: the same inputs in any key order give the same key', () => {
  const a = layerKey('p', 'config', { hostname: 'h', files: [{ destination: '/x', mode: '0644' }] }, { '/f': 'aa', '/g': 'bb' });
  const b = layerKey('p', 'config', { files: [{ mode: '0644', destination: '/x' }], hostname: 'h' }, { '/g': 'bb', '/f': 'aa' });
  assert.equal(a, b);
  assert.match(a, /^[0-9a-f]{64}$/);
});

test('layerKey: every kind of input changes the key', () => {
  const base = layerKey('p', 'config', { hostname: 'h' }, { '/f': 'aa' });
  assert.notEqual(layerKey('q', 'config', { hostname: 'h' }, { '/f': 'aa' }), base, 'parent');
  assert.notEqual(layerKey('p', 'finalize', { hostname: 'h' }, { '/f': 'aa' }), base, 'step');
  assert.notEqual(layerKey('p', 'config', { hostname: 'i' }, { '/f': 'aa' }), base, 'options');
  assert.notEqual(layerKey('p', 'config', { hostname: 'h' }, { '/f': 'ab' }), base, 'file content');
  assert.notEqual(layerKey('p', 'config', { hostname: 'h' }, { '/f2': 'aa' }), base, 'file path');
  assert.equal(keyOf(layerInputs('p', 'config', { hostname: 'h' }, { '/f': 'aa' })), base, 'keyOf(layerInputs) is layerKey');
  assert.throws(() => layerKey(null, 'no-such-step', {}, {}), /format version/);
});

test('explainChange names the option paths and files that differ', () => {
  const before = layerInputs('p', 'config', { hostname: 'a', users: [{ name: 'x' }], locale: 'C' }, { '/f': '1', '/old': '2' });
  const now = layerInputs('p', 'config', { hostname: 'b', users: [{ name: 'y' }], locale: 'C' }, { '/f': '9', '/new': '3' });
  const why = explainChange(before, now);
  assert.ok(why.includes('hostname changed'), why.join('; '));
  assert.ok(why.includes('users changed'), why.join('; '));
  assert.ok(why.includes('file /f changed'));
  assert.ok(why.includes('new input file /new'));
  assert.ok(why.includes('input file /old no longer used'));
  assert.ok(!why.some((w) => w.startsWith('locale')));
  assert.deepEqual(explainChange(before, { ...before, parent: 'other' }), ['a layer below changed']);
  assert.deepEqual(explainChange(before, before), []);
});
