import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from '../../src/exec/run.js';
import { MountNamespace } from '../../src/rootfs/namespace.js';
import { repoRoot, tempDir } from '../helpers.js';

async function mountsUnder(path: string): Promise<string> {
  const r = await run('findmnt', ['-rn', '-o', 'TARGET'], { allowFailure: true });
  return r.stdout.split('\n').filter((l) => l.startsWith(path)).join('\n');
}

test('an overlay of two layers is writable through /proc/PID/root and the host sees no mount', async () => {
  const dir = tempDir();
  const base = join(dir, 'base');
  const mid = join(dir, 'mid');
  mkdirSync(base);
  mkdirSync(mid);
  writeFileSync(join(base, 'a'), 'base-a');
  writeFileSync(join(base, 'b'), 'base-b');
  writeFileSync(join(mid, 'a'), 'mid-a');
  const ns = await MountNamespace.open({ layers: [base, mid], upper: join(dir, 'upper'), work: join(dir, 'work'), label: 'test' });
  try {
    assert.equal(readFileSync(join(ns.root, 'a'), 'utf8'), 'mid-a');
    assert.equal(readFileSync(join(ns.root, 'b'), 'utf8'), 'base-b');
    writeFileSync(join(ns.root, 'c'), 'new');
    const inside = await ns.run('cat', [join(ns.mountpoint!, 'c')]);
    assert.equal(inside.stdout.trim(), 'new');
    await ns.run('rm', [join(ns.mountpoint!, 'b')]);
    assert.equal(await mountsUnder(ns.mountpoint!), '', 'the mount is invisible on the host');
  } finally {
    await ns.close();
  }
  assert.equal(readFileSync(join(dir, 'upper', 'c'), 'utf8'), 'new');
  assert.ok(lstatSync(join(dir, 'upper', 'b')).isCharacterDevice(), 'deleting a lower file leaves a whiteout in the upper');
  assert.deepEqual(readdirSync(base).sort(), ['a', 'b'], 'lower layers are untouched');
});

test('SIGKILL of the Golden process leaves no mount and no process behind', async () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'base'));
  const script = join(dir, 'hold.mjs');
  writeFileSync(
    script,
    `import { MountNamespace } from ${JSON.stringify(join(repoRoot, 'dist/src/rootfs/namespace.js'))};
     const ns = await MountNamespace.open({ layers: [${JSON.stringify(join(dir, 'base'))}], upper: ${JSON.stringify(join(dir, 'u'))}, work: ${JSON.stringify(join(dir, 'w'))}, mountpoint: ${JSON.stringify(join(dir, 'mnt'))} });
     console.log(String(ns.nsPid));
     setInterval(() => {}, 1000);`,
  );
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const nsPid = await new Promise<number>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  assert.ok(existsSync(`/proc/${nsPid}`), 'the namespace is alive while Golden runs');
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  for (let i = 0; i < 100 && existsSync(`/proc/${nsPid}`); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(!existsSync(`/proc/${nsPid}`), 'the namespace init died with Golden');
  assert.equal(await mountsUnder(dir), '');
});
