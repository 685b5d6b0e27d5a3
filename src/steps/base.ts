// The base layer: a minimal system from mmdebstrap (vendor, suite, architecture, variant, mirrors), or a
// root filesystem tarball unpacked as is. It is a full tree, the lowest of the stack.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { distributionSuites } from '../config/derive.js';
import type { GoldenConfig } from '../config/schema.js';
import { UserError } from '../errors.js';
import { run } from '../exec/run.js';
import { MountNamespace } from '../rootfs/namespace.js';
import { linkFiles, publishFiles } from './apt.js';
import type { StepContext, StepInputs } from './types.js';

export interface BaseOptions {
  kind: 'mmdebstrap' | 'rootfs' | 'image';
  vendor: string;
  suite: string;
  architecture: string;
  variant: string;
  components: string[];
  /** apt one-line sources, in order: main suite, updates, security. */
  sources: string[];
  packages: string[];
  extraOptions: string[];
  keyring?: string;
  rootfs?: string;
  /** An existing image (disk image, Golden ISO, OCI layout or archive) whose root tree becomes the base. */
  image?: string;
}

export function aptSourceLines(config: GoldenConfig): string[] {
  const d = config.distribution;
  if (!d.mirror) {
    throw new UserError(`no mirror for ${d.vendor}: distribution.mirror is not set and the host's apt configuration has no ${d.vendor} source`, {
      hint: 'set distribution.mirror in the config to the archive URL to build from',
    });
  }
  const s = distributionSuites(config);
  const comps = d.components.join(' ');
  const lines = [`deb ${d.mirror} ${s.suite} ${comps}`];
  if (s.updates) lines.push(`deb ${d.mirror} ${s.updates} ${comps}`);
  if (s.security) lines.push(`deb ${d.securityMirror ?? d.mirror} ${s.security} ${comps}`);
  return lines;
}

export function baseInputs(config: GoldenConfig): StepInputs<BaseOptions> {
  const d = config.distribution;
  const common = { vendor: d.vendor, suite: d.suite, architecture: d.architecture, variant: d.variant, components: d.components };
  if ('rootfs' in config.base) {
    return { options: { kind: 'rootfs', ...common, sources: [], packages: [], extraOptions: [], rootfs: config.base.rootfs }, files: [config.base.rootfs] };
  }
  if ('image' in config.base) {
    return { options: { kind: 'image', ...common, sources: [], packages: [], extraOptions: [], image: config.base.image }, files: [config.base.image] };
  }
  const mm = config.base.mmdebstrap;
  return {
    options: {
      kind: 'mmdebstrap',
      ...common,
      sources: aptSourceLines(config),
      packages: [...mm.packages].sort(),
      extraOptions: mm.options,
      ...(d.keyring ? { keyring: d.keyring } : {}),
    },
    files: d.keyring ? [d.keyring] : [],
  };
}

export function baseTools(options: BaseOptions): string[] {
  // an image's own tools depend on its kind and are checked when it is read (extractImageRoot)
  return options.kind === 'mmdebstrap' ? ['mmdebstrap'] : ['tar'];
}

/** The mmdebstrap command line (tested as such). `debs` is apt's .deb cache, bind-mounted in. */
export function mmdebstrapArgs(o: BaseOptions, target: string, debs: string): string[] {
  const args = [
    `--variant=${o.variant}`,
    `--architectures=${o.architecture}`,
    `--components=${o.components.join(',')}`,
    '--mode=root',
    '--format=directory',
    // keep the downloaded .debs (they live in Golden's cache, bind-mounted over apt's archives)
    '--skip=essential/unlink',
    '--setup-hook=mkdir -p "$1/var/cache/apt/archives" "$1/etc/dpkg/dpkg.cfg.d"',
    `--setup-hook=mount --bind ${shq(debs)} "$1/var/cache/apt/archives"`,
    '--setup-hook=echo force-unsafe-io > "$1/etc/dpkg/dpkg.cfg.d/golden-unsafe-io"',
    '--customize-hook=umount "$1/var/cache/apt/archives"',
    '--customize-hook=rm -f "$1/etc/dpkg/dpkg.cfg.d/golden-unsafe-io" "$1/etc/resolv.conf" "$1/etc/hostname"',
    '--aptopt=Acquire::Languages "none"',
  ];
  if (o.packages.length > 0) args.push(`--include=${o.packages.join(',')}`);
  if (o.keyring) args.push(`--keyring=${o.keyring}`);
  args.push(...o.extraOptions, o.suite, target, ...o.sources);
  return args;
}

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Make the base tree in `target` (which must not exist yet). */
export async function runBase(ctx: StepContext<BaseOptions>, target: string): Promise<void> {
  const o = ctx.options;
  if (o.kind === 'rootfs') {
    mkdirSync(target, { recursive: true });
    await run('tar', ['-x', '-p', '--numeric-owner', '--xattrs', '--xattrs-include=*', '-f', o.rootfs!, '-C', target], { purpose: `unpack the base rootfs ${o.rootfs}` });
    return;
  }
  if (o.kind === 'image') {
    // the input image is only read; its root tree (with /boot and the ESP merged in) becomes the base
    const { extractImageRoot } = await import('../customize/extract.js');
    await extractImageRoot(o.image!, target, { scratchDir: join(dirname(target), 'scratch', 'extract') });
    return;
  }
  // a private hard-linked copy of the .deb cache: apt would refuse a cache another build has locked
  const shared = ctx.store.debsDir(o.vendor);
  const debs = join(dirname(target), 'scratch', 'debs');
  linkFiles(shared, debs, (n) => n.endsWith('.deb'));
  // mmdebstrap mounts /proc, /sys and /dev in the target: a private namespace guarantees they go away.
  const ns = await MountNamespace.open({ label: 'mmdebstrap' });
  ctx.cleanup.defer('mmdebstrap namespace', () => ns.close());
  try {
    await ns.run('mmdebstrap', mmdebstrapArgs(o, target, debs), {
      purpose: 'make the base system with mmdebstrap',
      env: ctx.sourceDateEpochExplicit ? { SOURCE_DATE_EPOCH: String(ctx.sourceDateEpoch) } : {},
    });
  } finally {
    await ns.close();
    ctx.cleanup.release('mmdebstrap namespace');
  }
  publishFiles(debs, shared, (n) => n.endsWith('.deb'));
}
