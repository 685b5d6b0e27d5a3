// Making the image's initramfs during a build: once per step (update-initramfs is deferred while
// packages install, see payload/initramfs-defer.sh), in a tmpfs, and with initramfs-tools' copy_file
// answered in the shell where it can be (payload/initramfs-copy-file.dash). What ends up in the
// initramfs is what initramfs-tools alone would put there.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename } from 'node:path';
import { log } from '../log/logger.js';
import { sourceFile } from '../paths.js';
import type { ImageRoot } from '../rootfs/chroot.js';
import { runPayload } from './payload.js';
import type { TreeStepContext } from './types.js';

const INITRAMFS_TMP = '/run/golden/tmp';
const HOOK_FUNCTIONS = '/usr/share/initramfs-tools/hook-functions';
const FAST_HOOK_FUNCTIONS = '/run/golden/hook-functions';
export const COPY_FILE_PAYLOAD = 'steps/payload/initramfs-copy-file.dash';

/**
 * sha256 of the copy_file() bodies the shell version was checked against (same files, byte for byte, in
 * the initramfs): initramfs-tools 0.142 (Debian 12). Another version keeps its own copy_file until it
 * has been compared the same way (test/build/initramfs.test.ts shows how).
 */
export const KNOWN_COPY_FILE = new Set(['51544bd45a9588e55bc4e0360c984bffb32384200502abecb9dfd99d068d0aa1']);

/** Where an image with an installer keeps the installed system's initramfs (the installer moves it to /boot). */
export const INSTALLED_INITRAMFS_DIR = '/usr/lib/golden-installer/initramfs';
const INSTALLED_INITRAMFS_PAYLOAD = 'initramfs-installed.sh';

/** The payload files whose content decides the initramfs a step makes (for the step's key). */
export function initramfsPayloadFiles(installed: boolean): string[] {
  const files = [sourceFile('steps/payload/initramfs-defer.sh'), sourceFile('steps/payload/initramfs-build.sh'), sourceFile(COPY_FILE_PAYLOAD)];
  if (installed) files.push(sourceFile(`steps/payload/${INSTALLED_INITRAMFS_PAYLOAD}`));
  return files;
}

/** The copy_file() function of a hook-functions file, from its first line to the closing brace. */
export function copyFileFunction(hookFunctions: string): string | undefined {
  const m = /^copy_file\(\)\s*\n?\{[\s\S]*?\n\}\n/m.exec(hookFunctions);
  return m?.[0];
}

/**
 * hook-functions with the shell copy_file in front of the original (renamed), or undefined when this
 * initramfs-tools' copy_file is not one the shell version was checked against.
 */
export function fastHookFunctions(hookFunctions: string, payload: string): string | undefined {
  const fn = copyFileFunction(hookFunctions);
  if (!fn || !KNOWN_COPY_FILE.has(createHash('sha256').update(fn).digest('hex'))) return undefined;
  return `${hookFunctions.replace(fn, fn.replace(/^copy_file\(\)/, 'golden_copy_file_original()'))}\n${payload}`;
}

const prepared = new WeakMap<ImageRoot, Promise<void>>();

/**
 * Environment for update-initramfs / mkinitramfs: its scratch tree (every module of the image, then the
 * cpio archive) goes to the step's /run tmpfs instead of /var/tmp on the overlay, so the uncompressed
 * initramfs is never written to the disk only to be deleted. Also puts the faster hook-functions in
 * place, by a bind mount that ends with the step: the layer never holds it. And lets zstd (the
 * compressor Debian's initramfs-tools picks when installed) use every core: measured on a 131 MB
 * initramfs, level 9, 2.7 s -> 1.6 s on 2 cores, byte for byte the same file.
 */
export async function initramfsEnv(ctx: TreeStepContext): Promise<Record<string, string>> {
  mkdirSync(ctx.root.hostPath(INITRAMFS_TMP), { recursive: true });
  // one preparation per step, awaited by every initramfs built side by side
  let ready = prepared.get(ctx.root);
  if (!ready) {
    ready = bindFastHookFunctions(ctx.root);
    prepared.set(ctx.root, ready);
  }
  await ready;
  return { TMPDIR: INITRAMFS_TMP, ZSTD_NBTHREADS: String(Math.max(1, cpus().length)) };
}

async function bindFastHookFunctions(root: ImageRoot): Promise<void> {
  if (!root.exists(HOOK_FUNCTIONS)) return;
  const fast = fastHookFunctions(readFileSync(root.hostPath(HOOK_FUNCTIONS), 'utf8'), readFileSync(sourceFile(COPY_FILE_PAYLOAD), 'utf8'));
  if (!fast) {
    log.verbose(`${HOOK_FUNCTIONS}: copy_file() is not a version Golden's shell copy was checked against; initramfs-tools runs as it is`);
    return;
  }
  writeFileSync(root.hostPath(FAST_HOOK_FUNCTIONS), fast);
  await root.bind({ host: root.hostPath(FAST_HOOK_FUNCTIONS), target: HOOK_FUNCTIONS, readOnly: true });
}

/** Build the initramfs of every kernel that lacks one, or update them when a package asked (payload/initramfs-build.sh). */
export async function buildInitramfs(ctx: TreeStepContext): Promise<void> {
  await runPayload(ctx, 'initramfs-build.sh', [], 'build the initramfs', await initramfsEnv(ctx));
}

/** The exclusions the installed system's initramfs was built with, when the image has one. */
export function installedInitramfsExcludes(ctx: TreeStepContext): string[] | undefined {
  const list = `${INSTALLED_INITRAMFS_DIR}/exclude.list`;
  return ctx.root.exists(list) ? readFileSync(ctx.root.hostPath(list), 'utf8').split('\n').filter(Boolean) : undefined;
}

/** Build the installed system's initramfs of every kernel (see payload/initramfs-installed.sh). */
export async function buildInstalledInitramfs(ctx: TreeStepContext, exclude: readonly string[]): Promise<void> {
  await runPayload(ctx, INSTALLED_INITRAMFS_PAYLOAD, [INSTALLED_INITRAMFS_DIR, ...exclude], "build the installed system's initramfs", await initramfsEnv(ctx));
}

/** initramfs-tools' boot script phases (directories under scripts/) Golden may add a script to. */
const BOOT_SCRIPT_PHASES = ['init-top', 'init-premount', 'local-top', 'local-premount', 'local-bottom', 'init-bottom'];

/**
 * Where a Golden initramfs file goes in the image, by its suffix: NAME.hook becomes
 * /etc/initramfs-tools/hooks/NAME (run by mkinitramfs after the packaged hooks), NAME.PHASE a boot
 * script /etc/initramfs-tools/scripts/PHASE/NAME (mkinitramfs takes boot scripts only from there and
 * /usr/share/initramfs-tools, not from what a hook writes into the initramfs).
 */
export function initramfsFileDestination(file: string): string {
  const name = basename(file);
  const dot = name.lastIndexOf('.');
  const [stem, kind] = [name.slice(0, dot), name.slice(dot + 1)];
  if (dot > 0 && kind === 'hook') return `/etc/initramfs-tools/hooks/${stem}`;
  if (dot > 0 && BOOT_SCRIPT_PHASES.includes(kind)) return `/etc/initramfs-tools/scripts/${kind}/${stem}`;
  throw new Error(`${file}: an initramfs file is NAME.hook or NAME.PHASE (${BOOT_SCRIPT_PHASES.join(', ')})`);
}
