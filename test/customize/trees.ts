// Small trees and a layered live ISO made with the real tools, shared by the customize and manifest tests.
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/exec/run.js';
import { MountNamespace } from '../../src/rootfs/namespace.js';
import { addSpecialEntries } from './cloud-image.js';

export function smallTree(dir: string): string {
  const root = join(dir, 'tree');
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'opt/app/old'), { recursive: true });
  writeFileSync(join(root, 'etc/hostname'), 'base\n');
  writeFileSync(join(root, 'etc/to-delete'), 'x\n');
  writeFileSync(join(root, 'opt/app/old/file'), 'old\n');
  addSpecialEntries(root);
  return root;
}

/** A live ISO of two squashfs layers: a base, and an overlay upper with a whiteout and an opaque directory. */
export interface LiveIsoOptions {
  /** A full root tree used read-only as the base layer (default: smallTree, with whiteout and opaque-directory cases). */
  base?: string;
  medium?: (staging: string) => void;
  upper?: (upper: string) => void;
}

export async function layeredLiveIso(dir: string, opts: LiveIsoOptions = {}): Promise<string> {
  const root = opts.base ?? smallTree(dir);
  const upper = join(dir, 'upper');
  const ns = await MountNamespace.open({ layers: [root], upper, work: join(dir, 'ovl-work'), label: 'test layer' });
  try {
    const m = ns.mountpoint!;
    if (opts.base) {
      await ns.run('rm', [`${m}/etc/issue.net`]);
      await ns.run('sh', ['-c', `echo layer2 > ${m}/etc/hostname`]);
    } else {
      await ns.run('rm', [`${m}/etc/to-delete`]);
      await ns.run('rm', ['-r', `${m}/opt/app`]);
      await ns.run('mkdir', [`${m}/opt/app`]);
      await ns.run('sh', ['-c', `echo new > ${m}/opt/app/new-file && echo layer2 > ${m}/etc/hostname`]);
    }
  } finally {
    await ns.close();
  }
  opts.upper?.(upper);
  assert.ok(lstatSync(join(upper, opts.base ? 'etc/issue.net' : 'etc/to-delete')).isCharacterDevice(), 'the upper holds a whiteout');
  const staging = join(dir, 'staging');
  mkdirSync(join(staging, 'live'), { recursive: true });
  await run('mksquashfs', [root, join(staging, 'live/01-base.squashfs'), '-quiet', '-no-progress', '-comp', 'gzip']);
  await run('mksquashfs', [upper, join(staging, 'live/02-config.squashfs'), '-quiet', '-no-progress', '-comp', 'gzip']);
  writeFileSync(join(staging, 'live/filesystem.module'), '01-base.squashfs\n02-config.squashfs\n');
  opts.medium?.(staging);
  const iso = join(dir, 'live.iso');
  await run('xorriso', ['-as', 'mkisofs', '-R', '-J', '-V', 'GOLDEN_TEST', '-o', iso, staging]);
  rmSync(staging, { recursive: true, force: true });
  return iso;
}

