// The base layer: a minimal system from mmdebstrap (vendor, suite, architecture, variant, mirrors), or a
// root filesystem tarball unpacked as is. It is a full tree, the lowest of the stack.
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { distributionSuites } from '../config/derive.js';
import type { GoldenConfig } from '../config/schema.js';
import { UserError } from '../errors.js';
import { run } from '../exec/run.js';
import { findTool } from '../exec/tools.js';
import { sourceFile } from '../paths.js';
import { MountNamespace } from '../rootfs/namespace.js';
import { linkFiles, publishFiles, sourcesId, stampLists } from './apt.js';
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

/** mmdebstrap's own hook that runs dpkg under eatmydata while the base is made (mmdebstrap >= 0.8). */
const EATMYDATA_EXTRACT_HOOK = '/usr/share/mmdebstrap/hooks/eatmydata/extract.sh';

/**
 * The eatmydata hooks for mmdebstrap, when this host has what they need (mmdebstrap's hook, and
 * dpkg-architecture from dpkg-dev). Without them the base is the same, only slower to make.
 */
export function eatmydataHooks(vendor: string): { extract: string; off: string } | undefined {
  if (vendor !== 'debian' && vendor !== 'ubuntu') return undefined;
  if (!existsSync(EATMYDATA_EXTRACT_HOOK) || !findTool('dpkg-architecture')) return undefined;
  return { extract: EATMYDATA_EXTRACT_HOOK, off: sourceFile('steps/payload/mmdebstrap-eatmydata-off.sh') };
}

/**
 * The mmdebstrap command line (tested as such). `debs` is apt's .deb cache, bind-mounted in.
 * `eatmydata`: hooks that make dpkg's fsync calls no-ops during the build (see eatmydataHooks); safe
 * because the layer enters the cache only once complete and flushed.
 */
export function mmdebstrapArgs(o: BaseOptions, target: string, debs: string, eatmydata?: { extract: string; off: string }, listsOut?: string): string[] {
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
  // the lists mmdebstrap fetched, hard-linked out before its clean-up empties the tree's lists directory
  if (listsOut) args.push(`--customize-hook=mkdir -p ${shq(listsOut)} && { find "$1/var/lib/apt/lists" -maxdepth 1 -type f -name '*_*' -exec cp -l -t ${shq(listsOut)} {} + 2>/dev/null || true; }`);
  if (eatmydata) args.push(`--extract-hook=${shq(eatmydata.extract)} "$1"`, `--customize-hook=/bin/bash ${shq(eatmydata.off)} "$1"`);
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
  const lists = join(dirname(target), 'scratch', 'lists');
  // mmdebstrap mounts /proc, /sys and /dev in the target: a private namespace guarantees they go away.
  const ns = await MountNamespace.open({ label: 'mmdebstrap' });
  ctx.cleanup.defer('mmdebstrap namespace', () => ns.close());
  try {
    await ns.run('mmdebstrap', mmdebstrapArgs(o, target, debs, eatmydataHooks(o.vendor), lists), {
      purpose: 'make the base system with mmdebstrap',
      env: ctx.sourceDateEpochExplicit ? { SOURCE_DATE_EPOCH: String(ctx.sourceDateEpoch) } : {},
    });
  } finally {
    await ns.close();
    ctx.cleanup.release('mmdebstrap namespace');
  }
  publishFiles(debs, shared, (n) => n.endsWith('.deb'));
  seedLists(ctx, target, lists);
}

/**
 * Hand mmdebstrap's fresh lists to the packages step of a config without extra build repositories (its
 * apt sources are then exactly the base's): stamped fresh, it needs no second `apt-get update`.
 */
function seedLists(ctx: StepContext<BaseOptions>, target: string, lists: string): void {
  const o = ctx.options;
  if (!existsSync(lists) || !readdirSync(lists).some((n) => n.endsWith('_InRelease') || n.endsWith('_Release'))) return;
  let own = '';
  try {
    own = readFileSync(join(target, 'etc', 'apt', 'sources.list'), 'utf8');
  } catch {
    // deb822 sources only: the packages step hashes the same empty text
  }
  stampLists(lists, own);
  publishFiles(lists, ctx.store.aptListsDir(sourcesId(o.vendor, o.sources, [])), (n) => n !== 'lock');
}
