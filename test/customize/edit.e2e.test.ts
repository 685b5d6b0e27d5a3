// `golden edit`: unattended (--script) and interactive (driven through tmux), and the guarantee that a
// failed or interrupted edit writes nothing and leaves the input as it was.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { extractImageRoot } from '../../src/customize/extract.js';
import { run } from '../../src/exec/run.js';
import { goldenBin, repoRoot, runGolden, tempDir } from '../helpers.js';
import { minbaseTree, vendorCloudImage } from './cloud-image.js';
import { VirtualMachine } from '../../src/vm/qemu.js';
import { ISO_NAME, isoFixture } from '../iso/fixture.js';
import { layeredLiveIso } from './trees.js';

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function rootfsTarball(dir: string): Promise<string> {
  const tarball = join(dir, 'base.tar');
  await run('tar', ['--numeric-owner', '-cf', tarball, '-C', await minbaseTree(), '.']);
  return tarball;
}

const editDirs = () => readdirSync('/var/tmp').filter((n) => n.startsWith('golden-edit-'));

test('edit --script on a qcow2 saves a new qcow2 carrying the change and a manifest; the input is unchanged', { timeout: 60 * 60_000 }, async () => {
  const image = await vendorCloudImage();
  const before = await sha256File(image);
  const dir = tempDir();
  const script = join(dir, 'change.sh');
  writeFileSync(script, '#!/bin/sh\nset -eu\necho "edited in place" > /etc/golden-edited\nrm /etc/motd\n');
  const out = join(dir, 'edited.qcow2');
  const r = await runGolden(['edit', image, '--script', script, '-o', out], { timeoutMs: 25 * 60_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await sha256File(image), before, 'the input is unchanged');
  const info = JSON.parse((await run('qemu-img', ['info', '--output=json', out])).stdout) as { format: string };
  assert.equal(info.format, 'qcow2');
  const tree = join(dir, 'tree');
  await extractImageRoot(out, tree);
  assert.equal(readFileSync(join(tree, 'etc/golden-edited'), 'utf8'), 'edited in place\n');
  assert.ok(!existsSync(join(tree, 'etc/motd')), 'the deletion is kept');
  const manifest = JSON.parse(readFileSync(join(tree, 'usr/share/golden/manifest.json'), 'utf8')) as { layers: { step: string }[]; packages: { name: string }[] };
  assert.deepEqual(manifest.layers.map((l) => l.step), ['base', 'edit']);
  assert.ok(manifest.packages.some((p) => p.name === 'iputils-ping'));
  const inspect = await runGolden(['--json', 'inspect', out], { timeoutMs: 10 * 60_000 });
  assert.equal(inspect.code, 0, inspect.stderr);
  const j = JSON.parse(inspect.stdout) as { kind: string; manifest?: { layers: unknown[] }; sbom?: { bomFormat: string } };
  assert.equal(j.kind, 'disk');
  assert.equal(j.manifest?.layers.length, 2, 'inspect reads the manifest back from the qcow2');
  assert.equal(j.sbom?.bomFormat, 'CycloneDX');
});

test('edit --script on a Golden live ISO saves a new ISO (one more layer) that boots and shows the change', { timeout: 90 * 60_000 }, async () => {
  const { iso } = await isoFixture();
  const before = await sha256File(iso);
  const dir = tempDir();
  const script = join(dir, 'change.sh');
  writeFileSync(script, '#!/bin/sh\nset -eu\necho "edited-in-the-iso" > /etc/golden-edited\n');
  const out = join(dir, 'edited.iso');
  const r = await runGolden(['edit', iso, '--script', script, '-o', out], { timeoutMs: 40 * 60_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await sha256File(iso), before, 'the input is unchanged');
  const live = (await run('xorriso', ['-indev', out, '-ls', '/live'])).stdout;
  assert.match(live, /01-base\.squashfs[\s\S]*02-edit\.squashfs[\s\S]*03-manifest\.squashfs/, 'the edit is its own squashfs layer');
  const inspect = await runGolden(['--json', 'inspect', out], { timeoutMs: 10 * 60_000 });
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.equal((JSON.parse(inspect.stdout) as { manifest?: { image: { name: string } } }).manifest?.image.name, ISO_NAME);

  const vm = await VirtualMachine.start({ image: out, firmware: 'bios', memoryMiB: 1536, serialLog: join(dir, 'serial.log') });
  try {
    await vm.waitFor(`GOLDEN-BOOTED name=${ISO_NAME}`, 35 * 60_000);
    await vm.waitFor(/login:/, 5 * 60_000);
    const from = vm.console.length;
    vm.send('\ncat /etc/golden-edited; echo EDIT-CHECK-$((6*7))\n');
    await vm.waitFor(/edited-in-the-iso\r?\n(?:.*\n)?EDIT-CHECK-42/, 5 * 60_000, from);
  } finally {
    await vm.stop();
  }
});

test('edit --script on a live ISO, saved as a tarball with --format', { timeout: 10 * 60_000 }, async () => {
  const dir = tempDir();
  const iso = await layeredLiveIso(join(dir, 'iso'), { base: await minbaseTree() });
  const before = await sha256File(iso);
  const script = join(dir, 'change.sh');
  writeFileSync(script, 'echo from-script > /etc/motd-golden\n');
  const out = join(dir, 'edited.tar');
  const r = await runGolden(['edit', iso, '--script', script, '--format', 'tar', '-o', out], { timeoutMs: 9 * 60_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await sha256File(iso), before);
  const list = (await run('tar', ['-tf', out])).stdout;
  assert.match(list, /etc\/motd-golden/);
  assert.doesNotMatch(list, /etc\/issue\.net/, 'the whiteout of the upper ISO layer still applies');
  assert.equal((await run('tar', ['-xOf', out, './etc/hostname'])).stdout, 'layer2\n');
});

test('a failing script writes nothing and leaves the input unchanged', { timeout: 10 * 60_000 }, async () => {
  const dir = tempDir();
  const input = await rootfsTarball(dir);
  const before = await sha256File(input);
  const script = join(dir, 'fail.sh');
  writeFileSync(script, '#!/bin/sh\necho changing > /etc/hostname\nexit 3\n');
  const out = join(dir, 'out.tar');
  const editsBefore = editDirs();
  const r = await runGolden(['edit', input, '--script', script, '-o', out], { timeoutMs: 9 * 60_000 });
  assert.equal(r.code, 3, 'the script status is the exit code');
  assert.match(r.stderr, /exited with status 3: nothing was saved/);
  assert.ok(!existsSync(out), 'no output file');
  assert.equal(await sha256File(input), before, 'the input is unchanged');
  assert.deepEqual(editDirs(), editsBefore, 'the work directory is removed');
});

class Tmux {
  private readonly socket = `golden-test-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
  async start(command: string): Promise<void> {
    await run('tmux', ['-L', this.socket, 'new-session', '-d', '-s', 'edit', '-x', '160', '-y', '40', 'bash', '-c', command]);
  }
  async keys(...keys: string[]): Promise<void> {
    await run('tmux', ['-L', this.socket, 'send-keys', '-t', 'edit', ...keys]);
  }
  async screen(): Promise<string> {
    return (await run('tmux', ['-L', this.socket, 'capture-pane', '-p', '-t', 'edit', '-S', '-200'], { allowFailure: true })).stdout;
  }
  async waitFor(re: RegExp, timeoutMs: number): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.screen();
      if (re.test(s)) return s;
      if (Date.now() > until) throw new Error(`timed out waiting for ${re} on the terminal:\n${s}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  async stop(): Promise<void> {
    await run('tmux', ['-L', this.socket, 'kill-server'], { allowFailure: true });
  }
}

function editCommand(dir: string, input: string, out: string): string {
  const status = join(dir, 'status');
  // Golden's stderr goes through tee: the logger's live progress line currently throws on a TTY for a
  // top-level step ('  '.repeat(-1) in logger.drawLive). The shell still has the terminal as stdin/stdout.
  return `cd ${repoRoot} && NO_COLOR=1 ${process.execPath} ${goldenBin} edit ${input} -o ${out} 2> >(tee ${join(dir, 'stderr')} >&2); echo "golden-exit=$?" > ${status}; cat ${status}; sleep 600`;
}

test('interactive edit through a terminal: the banner and prompt show where you are, `exit` saves', { timeout: 10 * 60_000 }, async () => {
  const dir = tempDir();
  mkdirSync(dir, { recursive: true });
  const input = await rootfsTarball(dir);
  const out = join(dir, 'out.tar');
  const tmux = new Tmux();
  try {
    await tmux.start(editCommand(dir, input, out));
    const screen = await tmux.waitFor(/\(golden edit base\.tar\) \/#\s*$/m, 5 * 60_000);
    assert.match(screen, /golden edit: you are in a chroot of/);
    await tmux.keys('echo typed-at-the-prompt > /root/typed', 'Enter');
    await tmux.keys('exit', 'Enter');
    await tmux.waitFor(/golden-exit=\d+/, 5 * 60_000);
    assert.equal(readFileSync(join(dir, 'status'), 'utf8').trim(), 'golden-exit=0', await tmux.screen());
  } finally {
    await tmux.stop();
  }
  const list = (await run('tar', ['-xOf', out, './root/typed'])).stdout;
  assert.equal(list, 'typed-at-the-prompt\n');
});

test('Ctrl-C in the interactive edit writes nothing and leaves the input unchanged', { timeout: 10 * 60_000 }, async () => {
  const dir = tempDir();
  const input = await rootfsTarball(dir);
  const before = await sha256File(input);
  const out = join(dir, 'out.tar');
  const tmux = new Tmux();
  const editsBefore = editDirs();
  try {
    await tmux.start(editCommand(dir, input, out));
    await tmux.waitFor(/\(golden edit base\.tar\) \/#\s*$/m, 5 * 60_000);
    await tmux.keys('echo never-saved > /etc/hostname', 'Enter');
    await tmux.keys('C-c');
    await tmux.waitFor(/golden-exit=\d+/, 2 * 60_000);
    assert.equal(readFileSync(join(dir, 'status'), 'utf8').trim(), 'golden-exit=130', await tmux.screen());
  } finally {
    await tmux.stop();
  }
  assert.ok(!existsSync(out), 'no output file');
  assert.equal(await sha256File(input), before, 'the input is unchanged');
  assert.deepEqual(editDirs(), editsBefore, 'the work directory is removed');
});
