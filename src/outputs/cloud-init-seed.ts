// cloud-init's NoCloud seed (user-data, meta-data, network-config) from the config's cloudInit section:
// either inside the image (/var/lib/cloud/seed/nocloud) or as a separate small vfat disk labelled
// CIDATA, made with mkfs.vfat -C + mcopy, never mounted.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { CloudInitConfig, GoldenConfig } from '../config/schema.js';
import { run } from '../exec/run.js';

export interface SeedFiles {
  'user-data': string;
  'meta-data': string;
  'network-config'?: string;
}

function doc(value: string | Record<string, unknown> | undefined, header: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return readFileSync(value, 'utf8');
  return `${header}${stringify(value)}`;
}

/** The seed documents. meta-data gets an instance-id derived from the content when it names none. */
export function seedFiles(config: GoldenConfig, ci: CloudInitConfig): SeedFiles {
  const userData = doc(ci.userData, '#cloud-config\n') ?? '#cloud-config\n{}\n';
  const networkConfig = doc(ci.networkConfig, '');
  let metaData = doc(ci.metaData, '');
  if (metaData === undefined || !/^instance-id:/m.test(metaData)) {
    const id = createHash('sha256').update(`${config.name}\0${userData}\0${networkConfig ?? ''}`).digest('hex').slice(0, 16);
    metaData = `instance-id: ${config.name}-${id}\nlocal-hostname: ${config.hostname}\n${metaData ?? ''}`;
  }
  const files: SeedFiles = { 'user-data': userData, 'meta-data': metaData };
  if (networkConfig !== undefined) files['network-config'] = networkConfig;
  return files;
}

/** Write the seed into an image tree, where cloud-init's NoCloud datasource looks without any disk. */
export function writeSeedIntoTree(root: string, files: SeedFiles): void {
  const dir = join(root, 'var/lib/cloud/seed/nocloud');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: 0o600 });
}

/** A "cidata" seed disk image (vfat, raw) holding the seed files. */
export async function makeSeedDisk(path: string, files: SeedFiles, workDir: string): Promise<void> {
  const stage = join(workDir, 'cidata');
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(stage, name), text);
  rmSync(path, { force: true });
  const volumeId = createHash('sha256').update(files['meta-data']).digest('hex').slice(0, 8);
  await run('mkfs.vfat', ['-C', '-n', 'CIDATA', '-i', volumeId, path, '2048'], { purpose: 'make the cloud-init seed disk' });
  await run('mcopy', ['-p', '-m', '-i', path, ...Object.keys(files).map((n) => join(stage, n)), '::/'], {
    env: { MTOOLS_SKIP_CHECK: '1' },
    purpose: 'copy the seed into the cloud-init seed disk',
  });
}
