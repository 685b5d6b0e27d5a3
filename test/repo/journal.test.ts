// The database journal: package-only changes append a line, a torn last line is ignored and cut off,
// replaying a line twice is harmless, other changes and a large journal write a new state.json.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type ArchiveState, type PackageRecord, archivePaths, loadState, saveState } from '../../src/repo/archive.js';
import { tempDir } from '../helpers.js';

function record(name: string, version = '1.0'): PackageRecord {
  const path = `pool/main/${name[0]}/${name}/${name}_${version}_amd64.deb`;
  return { component: 'main', architecture: 'amd64', kind: 'deb', name, version, stanza: `Package: ${name}\nVersion: ${version}\n`, files: [{ path, size: 1, sha256: name.padEnd(64, '0') }] };
}

function fresh(): ReturnType<typeof archivePaths> {
  const a = archivePaths(join(tempDir('golden-journal-'), 'archive'));
  mkdirSync(join(a.root, 'db'), { recursive: true });
  const state: ArchiveState = {
    format: 1,
    dists: { d: { suite: 'd', components: ['main'], architectures: ['amd64'], origin: 'T', label: 'T', keep: 1, metapackages: {}, packages: Array.from({ length: 50 }, (_, i) => record(`base${i}`)) } },
  };
  writeFileSync(a.statePath, JSON.stringify(state));
  return a;
}

const names = (s: ArchiveState) => s.dists.d!.packages.map((p) => `${p.name}=${p.version}`).sort();
const journal = (a: ReturnType<typeof archivePaths>) => join(a.root, 'db', 'journal');

test('package changes go to the journal and survive a torn line and a replay', () => {
  const a = fresh();
  const snapshot = readFileSync(a.statePath);
  const s1 = loadState(a);
  s1.dists.d!.packages = [...s1.dists.d!.packages.filter((p) => p.name !== 'base3'), record('extra')];
  saveState(a, s1);
  assert.deepEqual(readFileSync(a.statePath), snapshot, 'state.json untouched');
  const lines = readFileSync(journal(a), 'utf8');
  assert.equal(lines.split('\n').filter(Boolean).length, 1);
  assert.deepEqual(names(loadState(a)), names(s1));
  // a killed append leaves half a line: not committed, and the next writer cuts it off
  appendFileSync(journal(a), '{"dist":"d","del":[],"put":[{"na');
  assert.deepEqual(names(loadState(a)), names(s1));
  const s2 = loadState(a);
  s2.dists.d!.packages = s2.dists.d!.packages.map((p) => (p.name === 'extra' ? record('extra', '2.0') : p));
  saveState(a, s2);
  assert.ok(readFileSync(journal(a), 'utf8').endsWith('}\n'));
  assert.deepEqual(names(loadState(a)), names(s2));
  // lines are idempotent: replaying the journal over a state that already has it changes nothing
  appendFileSync(journal(a), readFileSync(journal(a), 'utf8'));
  assert.deepEqual(names(loadState(a)), names(s2));
});

test('a distribution change or a large journal writes a new state.json and drops the journal', () => {
  const a = fresh();
  const s1 = loadState(a);
  s1.dists.d!.packages.push(record('one'));
  saveState(a, s1);
  assert.ok(existsSync(journal(a)));
  const s2 = loadState(a);
  s2.dists.d!.origin = 'Other';
  saveState(a, s2);
  assert.ok(!existsSync(journal(a)));
  assert.equal(loadState(a).dists.d!.origin, 'Other');
  assert.deepEqual(names(loadState(a)), names(s1));
  const s3 = loadState(a);
  s3.dists.d!.packages.push(...Array.from({ length: 2000 }, (_, i) => record(`many${i}`)));
  saveState(a, s3);
  assert.ok(!existsSync(journal(a)), 'a change larger than the journal limit is written as a snapshot');
  assert.ok(statSync(a.statePath).size > 256 * 1024);
  assert.equal(loadState(a).dists.d!.packages.length, 2051);
});
