// `golden installer preseed|autoinstall|files`: load the config and write what the installers read.
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadConfig } from '../config/load.js';
import { UserError } from '../errors.js';
import { log } from '../log/logger.js';
import { autoinstallUserData } from './autoinstall.js';
import { installerIsoParts } from './iso-parts.js';
import { preseedText } from './preseed.js';

/** Write atomically (temp name, rename): a half-written preseed must never be served to an installer. */
function writeAtomically(path: string, content: string | Buffer, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

async function configWithInstaller(configPath: string) {
  const { config } = await loadConfig(configPath);
  if (!config.installer) {
    throw new UserError(`${resolve(configPath)} has no installer section`, { hint: 'add at least `installer: {}` to the config (see docs/installer.md)' });
  }
  return config;
}

export async function emitPreseed(configPath: string, output: string | undefined): Promise<number> {
  const text = preseedText(await configWithInstaller(configPath));
  // it can hold the LUKS passphrase
  if (output) writeAtomically(output, text, 0o600);
  else process.stdout.write(text);
  if (output) log.success(`wrote ${output}`);
  return 0;
}

export async function emitAutoinstall(configPath: string, output: string | undefined): Promise<number> {
  const text = autoinstallUserData(await configWithInstaller(configPath));
  if (output) writeAtomically(output, text, 0o600);
  else process.stdout.write(text);
  if (output) log.success(`wrote ${output}`);
  return 0;
}

/** The installer's part of the live image, as a tree under DIR (to inspect it, or to add it to another image). */
export async function emitFiles(configPath: string, dir: string, json: boolean): Promise<number> {
  const parts = installerIsoParts(await configWithInstaller(configPath))!;
  for (const f of parts.files) writeAtomically(join(dir, f.path), f.content, f.mode);
  const summary = { directory: resolve(dir), imagePackages: parts.imagePackages, bootEntries: parts.bootEntries, files: parts.files.map((f) => f.path) };
  if (json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    log.success(`wrote ${parts.files.length} files under ${summary.directory}`);
    log.info(`packages the live image needs: ${parts.imagePackages.join(' ')}`);
    for (const e of parts.bootEntries) log.info(`boot entry "${e.title}": ${e.kernelArgs.join(' ')}`);
  }
  return 0;
}
