// A build killed with SIGKILL in the middle of a step leaves no mount and no process behind, and the next
// build clears its unfinished work directory and succeeds.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from '../../src/exec/run.js';
import { assertBuilt, buildFixture, parseEvents, testCacheDir } from '../fixtures/build.js';
import { goldenBin, tempDir } from '../helpers.js';

/** Mount points of every mount namespace on the machine (not only ours) that mention `needle`. */
function mountsAnywhere(needle: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      for (const line of readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n')) if (line.includes(needle)) out.push(`${pid}: ${line}`);
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

function processesMentioning(needle: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(needle)) out.push(`${pid}: ${cmd}`);
    } catch {
      // gone
    }
  }
  return out;
}

async function until(what: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (what()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return what();
}

test('SIGKILL during the packages step: no mount or process survives, the next build succeeds', async () => {
  const dir = tempDir('golden-kill-');
  // a package list unique to this run, so the packages layer is never already cached
  writeFileSync(join(dir, 'packages.list'), `# run ${process.pid}-${Date.now()}\nless\n`);
  writeFileSync(join(dir, 'golden.yaml'), 'name: killed\npackages:\n  lists: [packages.list]\noutputs:\n  - type: tar\n');
  const cache = testCacheDir();
  const child = spawn(process.execPath, [goldenBin, '--json', 'build', join(dir, 'golden.yaml'), '--cache', cache, '--output-dir', join(dir, 'out')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const inPackages = new Promise<void>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (parseEvents(stdout).some((e) => e.event === 'step-start' && e['step'] === 'packages')) resolve();
    });
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await Promise.race([inPackages, exited]);
  assert.equal(child.exitCode, null, `the build ended before the packages step: ${stderr.slice(-2000)}`);
  // let the step get going: apt running in the chroot, overlay and binds mounted
  const work = `${join(cache, 'tmp')}/${child.pid}-packages-`;
  assert.ok(await until(() => mountsAnywhere(work).length > 0, 60_000), 'the step mounted its overlay');
  await new Promise((r) => setTimeout(r, 1500));
  child.kill('SIGKILL');
  await exited;

  assert.ok(await until(() => mountsAnywhere(work).length === 0, 10_000), `mounts left: ${mountsAnywhere(work).join('\n')}`);
  const findmnt = await run('findmnt', ['-rn', '-o', 'TARGET,SOURCE']);
  assert.ok(!findmnt.stdout.includes(work), 'findmnt shows nothing of the killed build');
  assert.ok(await until(() => processesMentioning(work).length === 0, 10_000), `processes left: ${processesMentioning(work).join('\n')}`);
  const leftovers = readdirSync(join(cache, 'tmp')).filter((n) => n.startsWith(`${child.pid}-`));
  assert.ok(leftovers.length > 0, 'the killed build left its work directory (to be cleared by the next build)');

  const again = await buildFixture({ path: join(dir, 'golden.yaml') }, { outputDir: join(dir, 'out') });
  assertBuilt(again);
  assert.equal(again.cached['packages'], false);
  for (const name of leftovers) assert.ok(!existsSync(join(cache, 'tmp', name)), `${name} was cleared`);
});
