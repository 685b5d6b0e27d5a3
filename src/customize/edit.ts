// `golden edit IN`: unpack an image, let the operator change it in a chroot (an interactive shell, or a
// script), and on success save a new image through the ordinary output builders. The extracted tree is
// a read-only lower layer and every change lands in an overlay upper directory, so a failed or
// interrupted session is thrown away whole: nothing is written and the input is never touched.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { goldenConfigSchema, outputEntrySchema, type GoldenConfig, type OutputType } from '../config/schema.js';
import { UsageError, UserError } from '../errors.js';
import { CleanupStack, throwIfInterrupted } from '../lifecycle.js';
import { formatBytes, log } from '../log/logger.js';
import { IMAGE_MANIFEST_DIR, CONFIG_FILE, buildManifest, epochFor, manifestFiles } from '../manifest/manifest.js';
import { outputBuilder } from '../outputs/registry.js';
import type { LayerInfo, OutputContext } from '../outputs/types.js';
import { run } from '../exec/run.js';
import { findTool } from '../exec/tools.js';
import { MountNamespace } from '../rootfs/namespace.js';
import { detectImageKind } from './detect.js';
import { diskFormat } from './disk.js';
import { extractImageRoot } from './extract.js';
import { isoExtract } from './iso.js';

export interface EditOptions {
  output?: string;
  format?: string;
  /** Run this script in the chroot instead of an interactive shell. */
  script?: string;
  goldenVersion: string;
}

const DISK_FORMATS: Record<string, OutputType> = { qcow2: 'qcow2', raw: 'raw', vmdk: 'vmdk', vpc: 'vhd', vhdx: 'vhdx' };
const EXTENSIONS: Partial<Record<OutputType, string>> = { qcow2: '.qcow2', raw: '.raw', vmdk: '.vmdk', vhd: '.vhd', vhdx: '.vhdx', iso: '.iso', tar: '.tar.zst', oci: '', rootfs: '' };

/** The output type that matches the input, so an edit gives back the same kind of image. */
export async function sameTypeAs(input: string): Promise<OutputType> {
  const kind = await detectImageKind(input);
  switch (kind) {
    case 'disk':
      return DISK_FORMATS[await diskFormat(input)] ?? 'raw';
    case 'dir':
      return 'rootfs';
    default:
      return kind;
  }
}

/** IN.qcow2 → IN-edited.qcow2 beside it (the extension follows the output type). */
export function defaultEditOutput(input: string, type: OutputType): string {
  const m = /^(.+?)((?:\.tar)?\.[A-Za-z0-9]+)?$/.exec(basename(input))!;
  const inputExt = m[2] ?? '';
  const keep = inputExt === EXTENSIONS[type] || (type === 'tar' && /^\.tar(\.(gz|xz|zst))?$/.test(inputExt));
  return join(dirname(input), `${m[1]}-edited${keep ? inputExt : (EXTENSIONS[type] ?? '')}`);
}

/** Tarball compression from the output file name, so x.tar.gz stays gzip. */
export function tarCompressionFor(path: string): 'gz' | 'xz' | 'zstd' | 'none' {
  if (/\.(tar\.gz|tgz)$/.test(path)) return 'gz';
  if (/\.(tar\.xz|txz)$/.test(path)) return 'xz';
  if (/\.tar$/.test(path)) return 'none';
  return 'zstd';
}

/**
 * Kernel arguments of a live ISO's first boot entry, less those the live system itself needs (the ISO
 * output adds its own): an image that carries no config keeps console=…, ds=nocloud and the like.
 */
export function liveKernelArguments(grubCfg: string): string[] {
  const m = /^\s*linux\s+\S+\s+(.*)$/m.exec(grubCfg);
  if (!m) return [];
  return m[1]!.split(/\s+/).filter((a) => a && !a.includes('$') && !/^(boot=|findiso=|iso-scan\/|layerfs-path=|BOOT_IMAGE=|---?$|nomodeset$)/.test(a));
}

async function carriedKernelArguments(input: string, scratch: string): Promise<string[]> {
  if ((await detectImageKind(input)) !== 'iso') return [];
  const cfg = join(scratch, 'grub.cfg');
  return (await isoExtract(input, '/boot/grub/grub.cfg', cfg)) ? liveKernelArguments(readFileSync(cfg, 'utf8')) : [];
}

/** The config the image was built from (it carries one when Golden made it), else a plain default. */
function configFor(tree: string, input: string, type: OutputType, kernelArgs: string[]): GoldenConfig {
  const carried = join(tree, IMAGE_MANIFEST_DIR.slice(1), CONFIG_FILE);
  const fallbackName = basename(input).replace(/\..*$/, '').replace(/[^a-z0-9-]+/gi, '-').toLowerCase().replace(/^-+|-+$/g, '') || 'edited';
  let base: Record<string, unknown> = { name: fallbackName, ...(kernelArgs.length > 0 ? { kernel: { commandLine: kernelArgs } } : {}) };
  if (existsSync(carried)) {
    const parsed = goldenConfigSchema.safeParse(parseYaml(readFileSync(carried, 'utf8')));
    if (parsed.success) base = parsed.data as unknown as Record<string, unknown>;
    else log.warn(`the image's own ${CONFIG_FILE} does not match this Golden's schema; using defaults for the new image`);
  }
  const parsed = goldenConfigSchema.safeParse({ ...base, outputs: [{ type }] });
  if (!parsed.success) return goldenConfigSchema.parse({ name: fallbackName, outputs: [{ type }] });
  return parsed.data;
}

function banner(input: string, interactive: boolean): string {
  const lines = [
    '',
    `  golden edit: you are in a chroot of ${input}`,
    '  Changes are kept in an overlay and saved as a new image when you leave with `exit` (status 0).',
    '  `exit 1` or Ctrl-C discards everything; the input image is never modified.',
    '',
  ];
  return interactive ? lines.join('\n') : `golden edit: running the script in a chroot of ${input}`;
}

async function runInChroot(ns: MountNamespace, input: string, script: string | undefined): Promise<number> {
  const shell = existsSync(join(ns.root, 'bin/bash')) ? '/bin/bash' : '/bin/sh';
  if (script === undefined) {
    process.stderr.write(`${banner(input, true)}\n`);
    const label = basename(input).replace(/[^A-Za-z0-9._+-]/g, '');
    // An interactive shell takes the terminal's foreground process group, so Ctrl-C reaches only the
    // shell. Its startup file (in the image's /tmp, removed as soon as it is read) makes Ctrl-C at the
    // prompt leave with status 130, which discards the edit; Ctrl-C while a command runs stops that command.
    const rc = `/tmp/golden-edit-rc-${process.pid}`;
    mkdirSync(join(ns.root, 'tmp'), { recursive: true, mode: 0o1777 });
    writeFileSync(join(ns.root, rc), `rm -f ${rc}\nPS1='(golden edit ${label}) \\w\\$ '\ntrap 'echo; echo "golden edit: interrupted, discarding the changes"; exit 130' INT\n`);
    const env = { HOME: '/root', TERM: process.env['TERM'] ?? 'xterm', GOLDEN_EDIT: input, ENV: rc };
    try {
      const args = shell === '/bin/bash' ? ['--noprofile', '--rcfile', rc, '-i'] : ['-i'];
      // Only the mount namespace is entered, not the PID one: an interactive shell hands the terminal
      // back to its parent's process group when it exits, and from inside a PID namespace it cannot
      // see that group, which would leave the terminal with no foreground group.
      const r = await run('nsenter', ['--target', String(ns.nsPid), '--mount', '--', findTool('chroot') ?? '/usr/sbin/chroot', ns.mountpoint!, shell, ...args], {
        stdio: 'inherit',
        env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...env },
        allowFailure: true,
        purpose: 'the edit shell',
      });
      return r.exitCode;
    } finally {
      rmSync(join(ns.root, rc), { force: true });
      if (process.stdin.isTTY) spawnSync('stty', ['sane'], { stdio: 'inherit' });
    }
  }
  log.info(banner(input, false));
  // /tmp of the image: a file made and removed in one overlay session leaves nothing in the upper layer
  const inImage = `/tmp/golden-edit-script-${process.pid}`;
  const hasShebang = readFileSync(script).subarray(0, 2).toString() === '#!';
  if (!hasShebang && !existsSync(join(ns.root, 'bin/sh'))) throw new UserError(`the image has no /bin/sh to run ${script}`, { hint: 'start the script with a #! line naming an interpreter the image has' });
  mkdirSync(join(ns.root, 'tmp'), { recursive: true, mode: 0o1777 });
  writeFileSync(join(ns.root, inImage), readFileSync(script));
  chmodSync(join(ns.root, inImage), 0o755);
  try {
    const r = await ns.chroot(hasShebang ? inImage : '/bin/sh', hasShebang ? [] : [inImage], {
      stdio: log.enabled('info') ? 'inherit' : 'pipe',
      env: { HOME: '/root', GOLDEN_EDIT: input },
      allowFailure: true,
      purpose: `the edit script ${script}`,
    });
    return r.exitCode;
  } finally {
    rmSync(join(ns.root, inImage), { force: true });
  }
}

export async function editImage(inputArg: string, opts: EditOptions): Promise<string> {
  const input = resolve(inputArg);
  if (!existsSync(input)) throw new UsageError(`${inputArg} does not exist`);
  if (opts.script !== undefined && !existsSync(opts.script)) throw new UsageError(`the script ${opts.script} does not exist`);
  const type = (opts.format ?? (await sameTypeAs(input))) as OutputType;
  if (!outputEntrySchema.safeParse({ type }).success) throw new UsageError(`unknown output format "${opts.format}"`, { hint: 'one of: rootfs, tar, iso, raw, qcow2, vmdk, vhd, vhdx, oci' });
  const outputPath = resolve(opts.output ?? defaultEditOutput(input, type));
  const outputEntry = outputEntrySchema.safeParse({ type, ...(type === 'tar' ? { compression: tarCompressionFor(outputPath) } : {}) });
  if (!outputEntry.success) throw new UsageError(`unknown output format "${opts.format}"`);
  if (outputPath === input) throw new UsageError('the output must differ from the input: golden edit never modifies its input', { hint: 'pass -o NEW-FILE' });
  if (existsSync(outputPath)) throw new UsageError(`${outputPath} already exists`, { hint: 'remove it or pass another -o' });
  const builder = await outputBuilder(type); // fails now, before any work, when the type is not available

  await using cleanup = new CleanupStack();
  const work = mkdtempSync(join(process.env['GOLDEN_TMPDIR'] ?? '/var/tmp', 'golden-edit-'));
  cleanup.defer('edit work directory', () => rmSync(work, { recursive: true, force: true }));
  let tree = input;
  if (!statSync(input).isDirectory() || (await detectImageKind(input)) === 'oci') {
    tree = join(work, 'tree');
    await log.step(`Unpacking ${basename(input)}`, async () => {
      const r = await extractImageRoot(input, tree, { scratchDir: join(work, 'scratch') });
      rmSync(join(work, 'scratch'), { recursive: true, force: true });
      return { detail: r.kind };
    });
  }
  const upper = join(work, 'edit');
  const ns = await MountNamespace.open({ layers: [tree], upper, work: join(work, 'ovl-work'), chrootMounts: true, label: 'golden edit' });
  cleanup.defer('edit namespace', () => ns.close());
  const code = await runInChroot(ns, inputArg, opts.script);
  await ns.close();
  throwIfInterrupted();
  if (code === 130) throw new UserError(`interrupted: nothing was saved and ${inputArg} is unchanged`, { exitCode: 130 });
  if (code !== 0) {
    throw new UserError(`the ${opts.script ? 'script' : 'shell'} exited with status ${code}: nothing was saved and ${inputArg} is unchanged`, { exitCode: code > 0 && code < 126 ? code : 1 });
  }

  const config = configFor(tree, input, type, await carriedKernelArguments(input, work));
  const inputKey = createHash('sha256').update(`${input}\0${statSync(input).size}\0${statSync(input).mtimeMs}`).digest('hex');
  const editKey = createHash('sha256').update(`${inputKey}\0edit\0${Date.now()}`).digest('hex');
  const layers: LayerInfo[] = [
    { step: 'base', key: inputKey, dir: tree },
    { step: 'edit', key: editKey, dir: upper },
  ];
  const epoch = epochFor(config);
  // A refreshed manifest (the edit may have changed packages) on top, as its own small layer.
  await log.step('Writing the manifest', async () => {
    const view = await MountNamespace.open({ layers: layers.map((l) => l.dir), label: 'manifest view' });
    try {
      const manifest = await buildManifest({ config, layers, rootDir: view.root, goldenVersion: opts.goldenVersion, sourceDateEpoch: epoch });
      const { stringify } = await import('yaml');
      const meta = join(work, 'manifest-layer');
      for (const f of manifestFiles(manifest, stringify(config))) {
        mkdirSync(dirname(join(meta, f.path)), { recursive: true });
        writeFileSync(join(meta, f.path), f.content);
      }
      layers.push({ step: 'manifest', key: createHash('sha256').update(JSON.stringify(manifest)).digest('hex'), dir: meta });
    } finally {
      await view.close();
    }
  });

  const output = outputEntry.data;
  const outWork = join(work, 'output');
  mkdirSync(outWork, { recursive: true });
  mkdirSync(dirname(outputPath), { recursive: true });
  const ctx: OutputContext = {
    config,
    configDir: dirname(outputPath),
    output,
    layers,
    openRoot: async (o = {}) => {
      const scratch = mkdtempSync(join(work, 'root-'));
      return MountNamespace.open({
        layers: [...layers.map((l) => l.dir), ...(o.extraLayers ?? [])],
        upper: join(scratch, 'upper'),
        work: join(scratch, 'work'),
        chrootMounts: o.chrootMounts === true,
        label: `${type} output`,
      });
    },
    workDir: outWork,
    outputPath,
    cleanup,
    sourceDateEpoch: epoch,
  };
  await log.step(`Saving ${basename(outputPath)} (${type})`, async () => {
    const r = await builder.build(ctx);
    return { detail: r.files.map((f) => formatBytes(f.bytes)).join(', ') };
  });
  log.success(`saved ${outputPath}`);
  log.event({ event: 'edit-saved', output: outputPath, type });
  return outputPath;
}
