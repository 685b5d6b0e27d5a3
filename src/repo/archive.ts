// An archive directory on disk and its state. Layout (see docs/repo.md):
//   keys/signing.key (private, 0600) keys/signing.asc keys/signing.gpg
//   db/state.json (distributions and package records)  db/lock
//   public/ (the only served part): pool/, dists -> .gen/N/dists, .gen/, archive-key.asc, archive-key.gpg
import { chmodSync, closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
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

// db/journal: package changes since db/state.json was written, one JSON line per command
// ({dist, del: keys, put: records}). Adding one package to a large archive then appends ~1 KiB instead of
// rewriting (and fsyncing) the whole database. Lines are idempotent (delete/upsert by key), so a crash
// between writing a new state.json and removing the journal replays harmlessly; a torn last line (a
// killed append) was never committed and is ignored, and cut off by the next writer (which holds the
// lock). Anything other than package changes (distributions, metapackage serials) rewrites state.json.
interface JournalLine {
  dist: string;
  del: string[];
  put: PackageRecord[];
}

interface Baseline {
  /** Bytes of the journal up to its last complete line. */
  journalBytes: number;
  snapshotBytes: number;
  dists: Map<string, { meta: string; records: Map<string, PackageRecord> }>;
}

const baselines = new WeakMap<ArchiveState, Baseline>();

const recordKey = (p: PackageRecord) => `${p.kind}\0${p.component}\0${p.name}\0${p.architecture}\0${p.version}`;
const distMeta = (d: Distribution) => JSON.stringify({ ...d, packages: undefined });

function journalPath(a: Archive): string {
  return join(a.root, 'db', 'journal');
}

function applyJournal(state: ArchiveState, line: JournalLine): void {
  const d = state.dists[line.dist];
  if (!d) return;
  const del = new Set(line.del);
  const put = new Map(line.put.map((p) => [recordKey(p), p]));
  const kept = d.packages.filter((p) => !del.has(recordKey(p)) && !put.has(recordKey(p)));
  d.packages = [...kept, ...put.values()];
}

export function loadState(a: Archive): ArchiveState {
  let state: ArchiveState;
  let snapshot: string;
  try {
    snapshot = readFileSync(a.statePath, 'utf8');
    state = JSON.parse(snapshot) as ArchiveState;
  } catch (err) {
    throw new UserError(`cannot read the archive database ${a.statePath}: ${(err as Error).message}`);
  }
  if (state.format !== 1) throw new UserError(`${a.statePath}: unknown database format ${String(state.format)}`);
  let journal = '';
  try {
    journal = readFileSync(journalPath(a), 'utf8');
  } catch {
    journal = '';
  }
  const complete = journal.slice(0, journal.lastIndexOf('\n') + 1);
  try {
    for (const line of complete.split('\n')) if (line) applyJournal(state, JSON.parse(line) as JournalLine);
  } catch (err) {
    throw new UserError(`cannot read the archive journal ${journalPath(a)}: ${(err as Error).message}`);
  }
  const dists = new Map(Object.entries(state.dists).map(([n, d]) => [n, { meta: distMeta(d), records: new Map(d.packages.map((p) => [recordKey(p), p])) }]));
  baselines.set(state, { journalBytes: Buffer.byteLength(complete), snapshotBytes: snapshot.length, dists });
  return state;
}

/** The journal lines that turn the loaded state into `state`, or undefined when only a snapshot will do. */
function journalLines(state: ArchiveState, base: Baseline): JournalLine[] | undefined {
  const names = Object.keys(state.dists);
  if (names.length !== base.dists.size) return undefined;
  const lines: JournalLine[] = [];
  for (const name of names) {
    const d = state.dists[name]!;
    const b = base.dists.get(name);
    if (!b || b.meta !== distMeta(d)) return undefined;
    const seen = new Set<string>();
    const put: PackageRecord[] = [];
    for (const p of d.packages) {
      const k = recordKey(p);
      seen.add(k);
      if (b.records.get(k) !== p) put.push(p);
    }
    const del = [...b.records.keys()].filter((k) => !seen.has(k));
    if (put.length || del.length) lines.push({ dist: name, del, put });
  }
  return lines;
}

/** Save the state: a journal append when only packages changed, else a new state.json. */
export function saveState(a: Archive, state: ArchiveState): void {
  const base = baselines.get(state);
  const lines = base && journalLines(state, base);
  const text = lines && Buffer.from(lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  // The journal is compacted into state.json once it holds more than a quarter of its size.
  if (base && text && base.journalBytes + text.length < Math.max(256 * 1024, base.snapshotBytes / 4)) {
    if (text.length === 0) return;
    const existed = existsSync(journalPath(a));
    const fd = openSync(journalPath(a), existed ? 'r+' : 'w', 0o644);
    try {
      ftruncateSync(fd, base.journalBytes); // drop a torn line a killed writer left
      writeSync(fd, text, 0, text.length, base.journalBytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (!existed) fsyncDir(join(a.root, 'db'));
    base.journalBytes += text.length;
    for (const l of lines!) {
      const b = base.dists.get(l.dist)!;
      for (const k of l.del) b.records.delete(k);
      for (const p of l.put) b.records.set(recordKey(p), p);
    }
    return;
  }
  writeSnapshot(a, state);
}

/** Replace the database atomically (temp file, fsync, rename, fsync dir), then drop the journal. */
function writeSnapshot(a: Archive, state: ArchiveState): void {
  const tmp = `${a.statePath}.tmp-${process.pid}`;
  const text = JSON.stringify(state);
  writeFileDurable(tmp, text);
  renameSync(tmp, a.statePath);
  rmSync(journalPath(a), { force: true });
  fsyncDir(join(a.root, 'db'));
  const dists = new Map(Object.entries(state.dists).map(([n, d]) => [n, { meta: distMeta(d), records: new Map(d.packages.map((p) => [recordKey(p), p])) }]));
  baselines.set(state, { journalBytes: 0, snapshotBytes: text.length, dists });
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
  writeSnapshot(a, { format: 1, dists: {} });
  return a;
}

function readdirNonEmpty(dir: string): boolean {
  return readdirSync(dir).length > 0;
}
