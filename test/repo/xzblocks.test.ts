// Incremental index .xz: blocks reused from the previous generation give the same bytes as a full
// compression, xz itself decodes the result, and one inserted stanza changes one chunk only.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { assembleXz, blockCache, chunkEnds, parseXzBlocks, xzIndex } from '../../src/repo/xzblocks.js';

function packages(names: readonly string[]): Buffer {
  return Buffer.from(
    names
      .map((n) => `Package: ${n}\nVersion: 1.0\nArchitecture: amd64\nDescription: package ${n}\n ${'lorem ipsum '.repeat(20 + (n.length % 7))}\nSHA256: ${n.padEnd(64, '0')}\n`)
      .join('\n'),
  );
}

const names = Array.from({ length: 1500 }, (_, i) => `pkg${String(i).padStart(5, '0')}`);

test('chunks end at stanza boundaries and an insertion changes only the chunk it falls in', () => {
  const before = packages(names);
  const ends = chunkEnds(before);
  assert.ok(ends.length > 3, `several chunks (${ends.length})`);
  assert.equal(ends.at(-1), before.length);
  for (const e of ends.slice(0, -1)) assert.equal(before.toString('latin1', e - 2, e), '\n\n');
  const after = packages([...names.slice(0, 700), 'pkg00700a', ...names.slice(700)]);
  const slices = (b: Buffer) => chunkEnds(b).map((e, i, a) => b.toString('latin1', a[i - 1] ?? 0, e));
  const old = new Set(slices(before));
  assert.equal(slices(after).filter((s) => !old.has(s)).length, 1);
});

test('an incremental .xz equals a full compression and decodes with xz', async () => {
  const before = packages(names);
  const full = await xzIndex(before);
  assert.deepEqual(execFileSync('xz', ['-dc'], { input: full }), before);
  const after = packages([...names.slice(0, 300), 'newpkg', ...names.slice(300, 1400)]);
  const incremental = await xzIndex(after, blockCache(before, full));
  assert.deepEqual(execFileSync('xz', ['-dc'], { input: incremental }), after);
  assert.deepEqual(incremental, await xzIndex(after), 'same bytes as compressing from scratch');
  execFileSync('xz', ['-t'], { input: incremental });
});

test('empty index, foreign .xz files and round trips of the stream structure', async () => {
  const empty = await xzIndex(Buffer.alloc(0));
  assert.equal(execFileSync('xz', ['-dc'], { input: empty }).length, 0);
  const other = execFileSync('xz', ['-c', '--check=crc32'], { input: 'x' });
  assert.equal(parseXzBlocks(other), undefined, 'another check type is not reused');
  assert.equal(blockCache(Buffer.from('x'), other).size, 0);
  const made = execFileSync('xz', ['-c', '-T2', '--block-list=3,4'], { input: 'abcdefg' });
  const blocks = parseXzBlocks(made);
  assert.equal(blocks?.length, 2);
  assert.deepEqual(assembleXz(blocks!), made);
});
