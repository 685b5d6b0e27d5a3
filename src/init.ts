// `golden init [DIR]`: a configuration directory with a commented golden.yaml (from templates/), an
// empty archive in DIR/archive and a new ed25519 signing key for it. It never overwrites: if either
// exists, nothing at all is written.
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { UserError } from './errors.js';
import { goldenRoot } from './paths.js';
import { createArchive } from './repo/archive.js';
import { generateSigningKey } from './repo/signing.js';

export interface InitOptions {
  dir: string;
  /** User ID name of the signing key. */
  keyName?: string | undefined;
  keyEmail?: string | undefined;
}

export interface InitResult {
  dir: string;
  config: string;
  archive: string;
  publicKey: string;
  fingerprint: string;
}

export function templatePath(): string {
  return join(goldenRoot, 'templates', 'golden.yaml');
}

export async function init(o: InitOptions): Promise<InitResult> {
  const dir = resolve(o.dir);
  const config = join(dir, 'golden.yaml');
  const archiveDir = join(dir, 'archive');
  const existing = [config, archiveDir].filter((p) => existsSync(p));
  if (existing.length > 0) {
    throw new UserError(`${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''}; golden init never overwrites anything`, {
      hint: 'choose an empty directory: golden init NEW-DIR',
    });
  }
  const template = templatePath();
  try {
    readFileSync(template);
  } catch {
    throw new UserError(`the configuration template ${template} is missing`, { hint: 'the Golden installation is incomplete' });
  }
  const key = await generateSigningKey({
    name: o.keyName ?? `${basename(dir) || 'golden'} archive signing key (${hostname()})`,
    ...(o.keyEmail ? { email: o.keyEmail } : {}),
  });
  mkdirSync(dir, { recursive: true });
  const archive = createArchive(archiveDir, key);
  copyFileSync(template, config);
  return { dir, config, archive: archive.root, publicKey: archive.publicKeyPath, fingerprint: key.fingerprint };
}
