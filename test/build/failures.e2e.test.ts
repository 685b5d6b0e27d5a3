// A step that fails names the step and the command; an interrupted build (SIGTERM, like Ctrl-C) removes
// everything it started. Both leave no work directory behind.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildFixture, parseEvents, testCacheDir } from '../fixtures/build.js';
import { goldenBin, tempDir } from '../helpers.js';

function leftovers(pid: number | undefined): string[] {
  return readdirSync(join(testCacheDir(), 'tmp')).filter((n) => n.startsWith(`${pid}-`));
}

test('a failing postCustomization script fails the config step, naming the step, the script and its exit code', async () => {
  const b = await buildFixture(
    'name: failing\npackages:\n  install: [less]\nscripts:\n  postCustomization:\n    - name: breaks-on-purpose\n      content: "echo about to fail >&2; exit 3"\n',
    { bootable: false },
  );
  assert.equal(b.code, 1);
  assert.match(b.stderr, /the config step failed/);
  assert.match(b.stderr, /scripts\.postCustomization\[0\] \(breaks-on-purpose\)/);
  assert.match(b.stderr, /exited with code 3/);
  assert.match(b.stderr, /about to fail/, 'the tail of its output is shown');
  assert.doesNotMatch(b.stderr, /\n\s+at .*\.js:\d+/, 'no stack trace');
  const ends = b.events.filter((e) => e.event === 'step-end');
  assert.equal(ends.find((e) => e['step'] === 'config')?.['ok'], false);
  assert.ok(!ends.some((e) => e['step'] === 'finalize'), 'nothing ran after the failed step');
});

test('SIGTERM during a step stops the build, cleans up and exits 130', async () => {
  const dir = tempDir('golden-term-');
  writeFileSync(join(dir, 'packages.list'), `# run ${process.pid}-${Date.now()}\nless\n`);
  writeFileSync(join(dir, 'golden.yaml'), 'name: terminated\npackages:\n  lists: [packages.list]\n');
  const child = spawn(process.execPath, [goldenBin, '--json', 'build', join(dir, 'golden.yaml'), '--cache', testCacheDir()], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (parseEvents(stdout).some((e) => e.event === 'step-start' && e['step'] === 'packages')) resolve();
    });
    void exited.then(() => resolve());
  });
  await new Promise((r) => setTimeout(r, 2000));
  child.kill('SIGTERM');
  const code = await exited;
  assert.equal(code, 130, stderr.slice(-2000));
  assert.match(stderr, /interrupted by SIGTERM/);
  assert.deepEqual(leftovers(child.pid), [], 'no work directory left');
});
