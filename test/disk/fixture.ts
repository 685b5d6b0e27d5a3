// Shared by the disk and OCI tests: a bootable bookworm tree (made once with mmdebstrap under
// $GOLDEN_TEST_CACHE, inside a private mount namespace), a small "config" layer on top of it with a
// whiteout and an opaque directory, and a way to run one output builder over those layers exactly as
// the build does (same openRoot).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootOpener } from '../../src/build/outputs.js';
import { hostMirrors } from '../../src/config/host-mirror.js';
import { goldenConfigSchema, type GoldenConfig, type GoldenConfigInput, type OutputType } from '../../src/config/schema.js';
import { CleanupStack } from '../../src/lifecycle.js';
import { outputBuilder } from '../../src/outputs/registry.js';
import type { LayerInfo, OutputResult } from '../../src/outputs/types.js';
import { MountNamespace } from '../../src/rootfs/namespace.js';

export const cacheDir = join(process.env['GOLDEN_TEST_CACHE'] ?? '/var/tmp/golden-test-cache', 'dev-trees');

/** What the dev tree holds: what the disk outputs declare they need, plus cloud-init for the NoCloud test. */
export const BOOT_PACKAGES = ['linux-image-amd64', 'systemd-sysv', 'udev', 'grub2-common', 'grub-pc-bin', 'grub-efi-amd64-bin', 'grub-efi-amd64-signed', 'shim-signed', 'cloud-guest-utils', 'cloud-init', 'e2fsprogs', 'fdisk', 'dosfstools'];

export async function bootTree(): Promise<string> {
  const dir = join(cacheDir, 'bookworm-boot');
  if (existsSync(join(dir, 'boot'))) return dir;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const m = hostMirrors('debian');
  const mirrors = m.mirror ? [`deb ${m.mirror} bookworm main`, `deb ${m.mirror} bookworm-updates main`] : [];
  if (m.securityMirror) mirrors.push(`deb ${m.securityMirror} bookworm-security main`);
  if (mirrors.length === 0) throw new Error('the host apt configuration names no Debian mirror');
  const ns = await MountNamespace.open({ label: 'disk test tree' });
  try {
    await ns.run('mmdebstrap', ['--variant=minbase', '--mode=root', `--include=${BOOT_PACKAGES.join(',')}`, 'bookworm', tmp, ...mirrors], { timeoutMs: 30 * 60_000 });
  } finally {
    await ns.close();
  }
  renameSync(tmp, dir);
  return dir;
}

/** A second layer as the build makes them: an overlay upper with a new file, a whiteout and an opaque directory. */
export function configLayer(): string {
  const dir = join(cacheDir, 'disk-config-layer');
  if (existsSync(join(dir, 'etc/golden-marker'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'etc'), { recursive: true });
  writeFileSync(join(dir, 'etc/golden-marker'), 'GOLDEN-MARKER\n', { mode: 0o640 });
  execFileSync('chown', ['0:4', join(dir, 'etc/golden-marker')]);
  mkdirSync(join(dir, 'srv/owned'), { recursive: true });
  writeFileSync(join(dir, 'srv/owned/file'), 'owned\n');
  execFileSync('chown', ['-R', '1234:5678', join(dir, 'srv/owned')]);
  // delete /etc/issue.net and replace /etc/skel wholesale, the way overlayfs records it
  execFileSync('mknod', [join(dir, 'etc/issue.net'), 'c', '0', '0']);
  mkdirSync(join(dir, 'etc/skel'), { recursive: true });
  writeFileSync(join(dir, 'etc/skel/.golden'), 'only this\n');
  execFileSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', join(dir, 'etc/skel')]);
  return dir;
}

export async function testLayers(withConfig = true): Promise<LayerInfo[]> {
  const layers: LayerInfo[] = [{ step: 'base', key: 'dev-bookworm-boot', dir: await bootTree() }];
  if (withConfig) layers.push({ step: 'config', key: 'dev-config', dir: configLayer() });
  return layers;
}

export function testConfig(input: Partial<GoldenConfigInput> = {}): GoldenConfig {
  return goldenConfigSchema.parse({ name: 'golden-test', ...input });
}

/** Run the builder of the config's first output over `layers`, writing into `outDir`. */
export async function buildOutput(config: GoldenConfig, layers: LayerInfo[], outDir: string, env: Record<string, string> = {}): Promise<OutputResult> {
  const output = config.outputs[0]!;
  const builder = await outputBuilder(output.type as OutputType);
  builder.verify?.(output, config);
  const workDir = join(outDir, 'work');
  mkdirSync(workDir, { recursive: true });
  const cleanup = new CleanupStack();
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return await builder.build({
      config,
      configDir: outDir,
      output,
      layers,
      openRoot: rootOpener(layers, workDir, cleanup),
      workDir,
      outputPath: join(outDir, builder.defaultFileName(config, output)),
      cleanup,
      sourceDateEpoch: 1700000000,
    });
  } finally {
    process.env = saved;
    await cleanup.dispose();
    rmSync(workDir, { recursive: true, force: true });
  }
}
