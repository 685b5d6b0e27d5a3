// The installer's copy (payload/lib-copy.sh) unpacks the medium's squashfs layers one after the other
// instead of copying through the stacked overlay. It must give the tree overlayfs shows: layers made here
// by a real overlay mount (a directory replaced by an opaque one, a whiteout, a directory replaced by a
// file, a symlink by a directory, a hard-linked file rewritten) are unpacked by the real script and
// compared with the same layers stacked by overlayfs.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PAYLOAD_DIR } from '../../src/installer/iso-parts.js';
import { tempDir } from '../helpers.js';

const sh = (script: string, ...args: string[]) => execFileSync('bash', ['-c', `set -euo pipefail; ${script}`, 'sh', ...args], { encoding: 'utf8' });

/** type, mode, owner, link target, size and content of every entry, one line each, sorted. */
function describeTree(dir: string): string {
  return sh(
    'cd "$1"; find . -mindepth 1 -printf "%y %m %U:%G %l %P " \\( -type f -exec md5sum {} \\; -o -printf "\\n" \\) | sed "s/  \\.\\/.*//" | sort',
    dir,
  );
}

describe('installer copy: squashfs layers unpacked in order', { skip: process.getuid?.() !== 0 ? 'needs root (mounts)' : false }, () => {
  let work = '';
  const mounts: string[] = [];
  before(() => {
    work = tempDir('golden-copy-');
    const live = join(work, 'medium', 'live');
    mkdirSync(live, { recursive: true });
    // layer 1: a plain tree
    sh(
      'cd "$1"; mkdir -p l1/d l1/h l1/etc; echo old > l1/d/f; echo g > l1/g; echo x > l1/h/x; echo a > l1/k; ln l1/k l1/k2; ln -s d l1/sym; mkdir l1/bin; ln -s dash l1/bin/sh; chmod 0750 l1/etc; echo conf > l1/etc/c',
      work,
    );
    // layer 2: the upper directory of changes made through overlayfs, as the image's build makes them
    mkdirSync(join(work, 'u'));
    mkdirSync(join(work, 'w'));
    mkdirSync(join(work, 'm'));
    sh('cd "$1"; mount -t overlay golden-test -o lowerdir=l1,upperdir=u,workdir=w m', work);
    try {
      sh('cd "$1/m"; rm -rf d g h sym; mkdir d; echo new > d/new; echo file > h; mkdir sym; echo b > k; echo more >> etc/c; chown 1:2 etc/c', work);
    } finally {
      sh('umount "$1/m"', work);
    }
    sh('cd "$1"; mksquashfs l1 medium/live/01-base.squashfs -quiet -noappend >/dev/null; mksquashfs u medium/live/02-packages.squashfs -quiet -noappend >/dev/null', work);
    writeFileSync(join(live, '03-live.squashfs'), '');
    writeFileSync(join(live, 'filesystem.module'), '01-base.squashfs\n02-packages.squashfs\n03-live.squashfs\n');
  });
  after(() => {
    for (const m of mounts.reverse()) spawnSync('umount', [m]);
  });

  it('gives the tree overlayfs shows, without the overlay markers, and skips the live-only layer', () => {
    const target = join(work, 'target');
    const log = sh(
      `LIB=$1; . "$LIB/lib-plan.sh"; . "$LIB/lib-copy.sh"; MEDIUM=$2; TARGET=$3; WORK=$4; MOUNTED=(); GOLDEN_SKIP_LAYERS='*-live.squashfs'
       mkdir -p "$TARGET" "$WORK"; trap 'for ((i = \${#MOUNTED[@]} - 1; i >= 0; i--)); do umount "\${MOUNTED[i]}"; done' EXIT
       do_copy`,
      PAYLOAD_DIR,
      join(work, 'medium'),
      target,
      join(work, 'copy-work'),
    );
    assert.match(log, /02-packages.squashfs: \d+ entries, 1 whiteouts, \d+ opaque directories/);
    assert.match(log, /not copied \(live system only\): .*03-live.squashfs/);

    const stacked = join(work, 'stacked');
    for (const [i, name] of [['1', '01-base'], ['2', '02-packages']] as const) {
      mkdirSync(join(work, `sq${i}`));
      sh('mount -t squashfs -o ro,loop "$1" "$2"', join(work, 'medium', 'live', `${name}.squashfs`), join(work, `sq${i}`));
      mounts.push(join(work, `sq${i}`));
    }
    mkdirSync(stacked);
    sh('mount -t overlay golden-test -o "ro,lowerdir=$1/sq2:$1/sq1" "$1/stacked"', work);
    mounts.push(stacked);

    assert.equal(describeTree(target), describeTree(stacked));
    // the rewritten file is a file of its own: its old hard link keeps the old content
    assert.equal(sh('cat "$1/k" "$1/k2"', target), 'b\na\n');
    assert.equal(sh('getfattr -R -P -h -m "^trusted\\.overlay\\." "$1" 2>/dev/null || true', target), '');
  });
});
