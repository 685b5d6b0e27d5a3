// An archive directory on disk and its state. Layout (see docs/repo.md):
//   keys/signing.key (private, 0600) keys/signing.asc keys/signing.gpg
//   db/state.json (distributions and package records)  db/lock
//   public/ (the only served part): pool/, dists -> .gen/N/dists, .gen/, archive-key.asc, archive-key.gpg
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import type { IndexEntry } from './indexes.js';
import { fsyncDir, writeFileDurable } from './indexes.js';
import { type Lock, acquireLock } from './lock.js';
import type { SigningKey } from './signing.js';

export interface PackageRecord extends IndexEntry {
  /** Pool files of this entry, relative to public/ (a .deb, or a .dsc and its files). */
  files: { path: string; size: number; sha256: string }[];
}

export interface Distribution {
  suite: string;
  components: string[];
  architectures: string[];
  origin?: string | undefined;
  label?: string | undefined;
  description?: string | undefined;
  /** How many versions of a package (per architecture) to keep; 1 = newest only. */
  keep: number;
  packages: PackageRecord[];
  /** Per metapackage: the version serial and a digest of what it was built from. */
  metapackages: Record<string, { serial: number; digest: string }>;
}

export interface ArchiveState {
  format: 1;
  dists: Record<string, Distribution>;
}

export interface Archive {
  root: string;
  publicDir: string;
  privateKeyPath: string;
  /** Binary keyring (gpgv --keyring, apt Signed-By). */
  publicKeyPath: string;
  publicKeyArmoredPath: string;
  statePath: string;
  lockPath: string;
}

export function archivePaths(dir: string): Archive {
  const root = resolve(dir);
  return {
    root,
    publicDir: join(root, 'public'),
    privateKeyPath: join(root, 'keys', 'signing.key'),
    publicKeyPath: join(root, 'keys', 'signing.gpg'),
    publicKeyArmoredPath: join(root, 'keys', 'signing.asc'),
    statePath: join(root, 'db', 'state.json'),
    lockPath: join(root, 'db', 'lock'),
  };
}

/** The archive golden repo works on: --archive DIR, else ./archive (the layout `golden init` makes). */
export function defaultArchiveDir(cwd = process.cwd()): string {
  return join(cwd, 'archive');
}

export function openArchive(dir: string): Archive {
  const a = archivePaths(dir);
  if (!existsSync(a.statePath) || !existsSync(a.privateKeyPath)) {
    throw new UserError(`${a.root} is not a Golden archive (no db/state.json or keys/signing.key)`, {
      hint: 'create one with `golden init DIR` (archive in DIR/archive), or point at it with --archive DIR',
    });
  }
  return a;
}

export function loadState(a: Archive): ArchiveState {
  let state: ArchiveState;
  try {
    state = JSON.parse(readFileSync(a.statePath, 'utf8')) as ArchiveState;
  } catch (err) {
    throw new UserError(`cannot read the archive database ${a.statePath}: ${(err as Error).message}`);
  }
  if (state.format !== 1) throw new UserError(`${a.statePath}: unknown database format ${String(state.format)}`);
  return state;
}

/** Replace the database atomically (temp file, fsync, rename, fsync dir). */
export function saveState(a: Archive, state: ArchiveState): void {
  const tmp = `${a.statePath}.tmp-${process.pid}`;
  writeFileDurable(tmp, JSON.stringify(state));
  renameSync(tmp, a.statePath);
  fsyncDir(join(a.root, 'db'));
}

export function lockArchive(a: Archive, waitSeconds: number): Promise<Lock> {
  return acquireLock(a.lockPath, waitSeconds, `the archive ${a.root}`);
}

export function getDist(state: ArchiveState, name: string): Distribution {
  const d = state.dists[name];
  if (!d) {
    const known = Object.keys(state.dists);
    throw new UserError(`no distribution "${name}" in this archive`, {
      hint: known.length ? `known: ${known.join(', ')}` : 'create one with `golden repo add-dist NAME`',
    });
  }
  return d;
}

/** Make an empty archive with the given key. Refuses when DIR exists and is not empty. */
export function createArchive(dir: string, key: SigningKey): Archive {
  const a = archivePaths(dir);
  if (existsSync(a.root) && statSync(a.root).isDirectory() && readdirNonEmpty(a.root)) {
    throw new UserError(`${a.root} already exists and is not empty`, { hint: 'Golden never overwrites an archive; choose another directory' });
  }
  mkdirSync(join(a.root, 'keys'), { recursive: true, mode: 0o700 });
  mkdirSync(join(a.root, 'db'), { recursive: true });
  mkdirSync(join(a.publicDir, 'pool'), { recursive: true });
  writeFileSync(a.privateKeyPath, key.privateArmored, { mode: 0o600 });
  chmodSync(a.privateKeyPath, 0o600);
  writeFileSync(a.publicKeyArmoredPath, key.publicArmored);
  writeFileSync(a.publicKeyPath, key.publicBinary);
  writeFileSync(join(a.publicDir, 'archive-key.asc'), key.publicArmored);
  writeFileSync(join(a.publicDir, 'archive-key.gpg'), key.publicBinary);
  saveState(a, { format: 1, dists: {} });
  return a;
}

function readdirNonEmpty(dir: string): boolean {
  return readdirSync(dir).length > 0;
}
