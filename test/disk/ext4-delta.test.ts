// The incremental disk rebuild: the changes of overlay upper directories (new and changed files,
// whiteouts, an opaque directory, a type change, hard links, symlinks, a fifo, xattrs, owners, modes,
// times) written with debugfs into an ext4 filesystem made from the lower tree must give the same
// filesystem content as mkfs.ext4 -d of the final tree. Real mkfs.ext4, debugfs and e2fsck; no mounts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, closeSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { applyDelta, DeltaUnsupported, dq, ext4Delta } from '../../src/outputs/disk/ext4-delta.js';
import { allowance, incrementalLayout, splitLayers } from '../../src/outputs/disk/incremental.js';
import { MiB, planLayout } from '../../src/outputs/disk/layout.js';
import { storageSchema } from '../../src/config/schema.js';
import { tempDir } from '../helpers.js';

const T = 1_600_000_000;

function file(root: string, rel: string, content: string, opts: { mode?: number; uid?: number; gid?: number } = {}): void {
  const path = join(root, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content, { mode: opts.mode ?? 0o644 });
  execFileSync('chmod', [(opts.mode ?? 0o644).toString(8), path]);
  chownSync(path, opts.uid ?? 0, opts.gid ?? 0);
  utimesSync(path, T, T);
}

function whiteout(root: string, rel: string): void {
  mkdirSync(join(root, rel, '..'), { recursive: true });
  execFileSync('mknod', [join(root, rel), 'c', '0', '0']);
}

/** What a tree holds, as comparable lines (directory mtimes left out: adding an entry changes them). */
function listing(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      if (rel === '' && name === 'lost+found') continue;
      const path = join(d, name);
      const r = `${rel}/${name}`;
      const st = lstatSync(path);
      const base = `${r} ${st.mode.toString(8)} ${st.uid}:${st.gid}`;
      if (st.isDirectory()) {
        out.push(base);
        walk(path, r);
      } else if (st.isSymbolicLink()) out.push(`${base} -> ${readlinkSync(path)}`);
      else if (st.isFile()) {
        const xattrs = execFileSync('getfattr', ['--absolute-names', '-d', '-m', 'user\\.', path], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('user.'));
        out.push(`${base} n${st.nlink} t${Math.floor(st.mtimeMs / 1000)} ${createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 12)} ${xattrs.join(',')}`);
      } else out.push(`${base} special`);
    }
  };
  walk(root, '');
  return out;
}

function ext4From(dir: string | undefined, image: string): void {
  closeSync(openSync(image, 'w'));
  truncateSync(image, 64 * MiB);
  execFileSync('mkfs.ext4', ['-q', '-F', '-b', '4096', ...(dir ? ['-d', dir] : []), image], { env: { ...process.env, E2FSPROGS_FAKE_TIME: String(T) } });
}

function rdump(image: string, dest: string): string {
  mkdirSync(dest, { recursive: true });
  execFileSync('debugfs', ['-R', `rdump / ${dest}`, image], { stdio: 'ignore' });
  return dest;
}

describe('ext4 delta (incremental disk rebuild)', () => {
  it('gives the same filesystem content as making it from the final tree', async () => {
    const dir = tempDir('golden-delta-');
    const lower = join(dir, 'lower');
    const up1 = join(dir, 'up1');
    const up2 = join(dir, 'up2');
    const final = join(dir, 'final');
    // the lower tree
    file(lower, 'etc/motd', 'old\n');
    file(lower, 'etc/keep', 'kept\n');
    file(lower, 'etc/gone', 'deleted by a whiteout\n');
    file(lower, 'var/old/a', 'a\n');
    file(lower, 'var/old/sub/b', 'b\n');
    file(lower, 'usr/bin/tool', '#!/bin/sh\n', { mode: 0o755 });
    symlinkSync('keep', join(lower, 'etc/link'));
    file(lower, 'boot/efi/EFI/old.efi', 'belongs to the ESP\n');
    // upper 1 (like the config layer): changed file with new owner and mode, whiteout, opaque dir,
    // new directory tree, symlink, fifo, hard links, xattr
    file(up1, 'etc/motd', 'new\n', { mode: 0o640, uid: 1234, gid: 42 });
    whiteout(up1, 'etc/gone');
    file(up1, 'var/old/fresh', 'only this\n');
    execFileSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', join(up1, 'var/old')]);
    file(up1, 'srv/data/x y', 'spaced name\n', { uid: 5678, gid: 5678 });
    symlinkSync('/etc/motd', join(up1, 'etc/alt'));
    execFileSync('mkfifo', [join(up1, 'etc/fifo')]);
    file(up1, 'opt/h1', 'linked\n');
    linkSync(join(up1, 'opt/h1'), join(up1, 'opt/h2'));
    file(up1, 'opt/cap', 'xattr\n');
    execFileSync('setfattr', ['-n', 'user.golden', '-v', 'yes', join(up1, 'opt/cap')]);
    file(up1, 'boot/efi/EFI/new.efi', 'ESP content stays out of root\n');
    // upper 2 (like finalize): a whiteout of a lower file, a symlink becoming a directory
    whiteout(up2, 'usr/bin/tool');
    file(up2, 'etc/link/inside', 'was a symlink\n');
    // the merged result, as overlayfs would show it
    file(final, 'etc/motd', 'new\n', { mode: 0o640, uid: 1234, gid: 42 });
    file(final, 'etc/keep', 'kept\n');
    file(final, 'var/old/fresh', 'only this\n');
    mkdirSync(join(final, 'usr/bin'), { recursive: true });
    file(final, 'srv/data/x y', 'spaced name\n', { uid: 5678, gid: 5678 });
    symlinkSync('/etc/motd', join(final, 'etc/alt'));
    execFileSync('mkfifo', [join(final, 'etc/fifo')]);
    file(final, 'opt/h1', 'linked\n');
    linkSync(join(final, 'opt/h1'), join(final, 'opt/h2'));
    file(final, 'opt/cap', 'xattr\n');
    execFileSync('setfattr', ['-n', 'user.golden', '-v', 'yes', join(final, 'opt/cap')]);
    file(final, 'etc/link/inside', 'was a symlink\n');
    mkdirSync(join(final, 'boot/efi'), { recursive: true });
    // the lower filesystem as the cache holds it: the ESP's mount point empty
    const lowerForFs = join(dir, 'lower-fs');
    execFileSync('cp', ['-a', lower, lowerForFs]);
    execFileSync('rm', ['-rf', join(lowerForFs, 'boot/efi/EFI')]);
    const image = join(dir, 'delta.img');
    ext4From(lowerForFs, image);
    const scratch = join(dir, 'scratch');
    mkdirSync(scratch);
    const delta = await ext4Delta({ lowerRoot: lower, finalRoot: final, upperDirs: [up1, up2], exclude: ['boot/efi'], scratch });
    assert.ok(delta.removed >= 4, `removed ${delta.removed}`);
    await applyDelta(image, 0, delta.script, scratch, { E2FSPROGS_FAKE_TIME: String(T) });
    execFileSync('e2fsck', ['-fn', image], { stdio: 'pipe' });
    const expected = join(dir, 'expected.img');
    ext4From(final, expected);
    const got = listing(rdump(image, join(dir, 'got')));
    assert.ok(got.some((l) => l.startsWith('/srv/data/x y 100644 5678:5678')), got.join('\n'));
    assert.deepEqual(got, listing(rdump(expected, join(dir, 'want'))));
  });

  it('refuses names debugfs cannot quote, so the build makes the filesystem whole', async () => {
    assert.throws(() => dq('a"b'), DeltaUnsupported);
    assert.equal(dq('a b'), '"a b"');
    const dir = tempDir('golden-delta-');
    for (const d of ['lower', 'up', 'final']) mkdirSync(join(dir, d));
    file(join(dir, 'up'), 'etc/we"ird', 'x');
    file(join(dir, 'final'), 'etc/we"ird', 'x');
    ext4From(undefined, join(dir, 'img'));
    await assert.rejects(ext4Delta({ lowerRoot: join(dir, 'lower'), finalRoot: join(dir, 'final'), upperDirs: [join(dir, 'up')], exclude: [], scratch: dir }), DeltaUnsupported);
  });

  it('splits the layers after packages, sizes the allowance in steps, takes plain layouts only', () => {
    const l = (step: string) => ({ step, key: step, dir: `/${step}` });
    const s = splitLayers([l('base'), l('packages'), l('config'), l('finalize'), l('manifest')])!;
    assert.deepEqual([s.lower.map((x) => x.step), s.upper.map((x) => x.step)], [['base', 'packages'], ['config', 'finalize', 'manifest']]);
    assert.deepEqual(splitLayers([l('base'), l('config')])!.lower.map((x) => x.step), ['base']);
    assert.equal(splitLayers([l('config')]), undefined);
    assert.deepEqual(allowance({ dataBytes: 1000, inodes: 10 }), { dataBytes: 64 * MiB, inodes: 16384 });
    assert.deepEqual(allowance({ dataBytes: 40 * MiB, inodes: 9000 }), { dataBytes: 128 * MiB, inodes: 32768 });
    assert.equal(incrementalLayout(planLayout({ storage: storageSchema.parse({}), needs: {}, seed: 's' })), true);
    const xfsHome = storageSchema.parse({ partitions: [{ label: 'BIOS', size: '1M', type: 'bios-boot' }, { label: 'ESP', size: '127M', type: 'esp' }, { label: 'root', size: '70%', type: 'root' }, { label: 'home', size: '30%', type: 'home', filesystem: 'xfs' }] });
    assert.equal(incrementalLayout(planLayout({ storage: xfsHome, needs: {}, seed: 's' })), false);
  });
});
