// The small layer only the ISO needs, stacked on top of the image's own layers: the disc's apt source
// (cdrom.sources), and the unit that announces the live system. Kept out of the cached image layers so
// disk images and containers built from the same stack do not get a source pointing at a disc.
import { chmodSync, copyFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sourceFile } from '../../paths.js';

export interface LiveLayerOptions {
  dir: string;
  imageName: string;
  imageVersion: string;
  /** cdrom.sources content, when the disc has a pool. */
  cdromSources?: string;
  /** More files for the live system only (the installer's), absolute paths in the image. */
  files?: readonly { path: string; content: string | Buffer; mode: number }[];
}

export function writeLiveLayer(o: LiveLayerOptions): void {
  rmSync(o.dir, { recursive: true, force: true });
  const etc = join(o.dir, 'etc');
  mkdirSync(join(etc, 'golden'), { recursive: true });
  // An image made from a disk (base.image) brings a fstab naming its partitions; on the disc they do not
  // exist and systemd would stop in emergency mode. live-boot appends its own root line to this file.
  writeFileSync(join(etc, 'fstab'), '# live system: the root is live-boot\'s overlay (line added at boot)\n');
  writeFileSync(join(etc, 'golden', 'live-image'), `GOLDEN_IMAGE_NAME=${o.imageName}\nGOLDEN_IMAGE_VERSION=${o.imageVersion}\n`);
  if (o.cdromSources) {
    mkdirSync(join(etc, 'apt', 'sources.list.d'), { recursive: true });
    writeFileSync(join(etc, 'apt', 'sources.list.d', 'cdrom.sources'), o.cdromSources);
  }
  const lib = join(o.dir, 'usr', 'lib', 'golden');
  mkdirSync(lib, { recursive: true });
  copyFileSync(sourceFile('outputs/iso/payload/golden-live-ready.sh'), join(lib, 'golden-live-ready'));
  chmodSync(join(lib, 'golden-live-ready'), 0o755);
  const units = join(etc, 'systemd', 'system');
  mkdirSync(join(units, 'multi-user.target.wants'), { recursive: true });
  copyFileSync(sourceFile('outputs/iso/payload/golden-live-ready.service'), join(units, 'golden-live-ready.service'));
  symlinkSync('/etc/systemd/system/golden-live-ready.service', join(units, 'multi-user.target.wants', 'golden-live-ready.service'));
  for (const f of o.files ?? []) {
    const to = join(o.dir, f.path);
    mkdirSync(dirname(to), { recursive: true });
    writeFileSync(to, f.content, { mode: f.mode });
    chmodSync(to, f.mode);
  }
}
