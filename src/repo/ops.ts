// The archive operations behind `golden repo …`. Every mutating one takes the lock, validates all its
// input before it writes anything (so a bad file leaves the archive byte-for-byte unchanged), then
// writes pool files, the database, and publishes unless told not to.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UsageError, UserError } from '../errors.js';
import { log } from '../log/logger.js';
import { type Archive, type ArchiveState, type Distribution, type PackageRecord, getDist, loadState, lockArchive, saveState } from './archive.js';
import { type ControlFile, isChanges, listedFiles, readAsListed, readControlFile, sourcesStanza, verifyListedFiles } from './changes.js';
import { getField } from './deb822.js';
import { type DebInfo, inspectDebBuffers } from './debfile.js';
import { packagesStanza } from './indexes.js';
import { type PublishResult, markPoolDirty, publishArchive } from './publish.js';
import { compareVersions, parseVersion } from './version.js';

export interface MutateOptions {
  waitSeconds: number;
  publish: boolean;
}

/** Run `fn` under the archive lock; publish afterwards when it changed something. */
export async function mutate<T>(
  a: Archive,
  opts: MutateOptions,
  fn: (state: ArchiveState) => Promise<{ changed: boolean; result: T }> | { changed: boolean; result: T },
): Promise<{ result: T; published?: PublishResult | undefined }> {
  const lock = await lockArchive(a, opts.waitSeconds);
  try {
    const state = loadState(a);
    const { changed, result } = await fn(state);
    if (changed) saveState(a, state);
    const published = changed && opts.publish ? await publishArchive(a, state) : undefined;
    return { result, published };
  } finally {
    lock.release();
  }
}

export interface DistOptions {
  components?: string[] | undefined;
  architectures?: string[] | undefined;
  suite?: string | undefined;
  origin?: string | undefined;
  label?: string | undefined;
  description?: string | undefined;
  keep?: number | undefined;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

export function addDist(state: ArchiveState, name: string, o: DistOptions): Distribution {
  if (!NAME.test(name)) throw new UsageError(`invalid distribution name "${name}"`, { hint: 'letters, digits, . _ + - (e.g. bookworm-company)' });
  if (state.dists[name]) throw new UserError(`distribution "${name}" already exists`, { hint: 'remove it first with `golden repo remove-dist` or pick another name' });
  const components = o.components?.length ? o.components : ['main'];
  const architectures = o.architectures?.length ? o.architectures : ['amd64'];
  for (const c of components) if (!NAME.test(c)) throw new UsageError(`invalid component "${c}"`);
  for (const ar of architectures) if (!/^[a-z0-9-]+$/.test(ar) || ar === 'source') throw new UsageError(`invalid architecture "${ar}"`);
  if (o.keep !== undefined && (!Number.isInteger(o.keep) || o.keep < 1)) throw new UsageError('--keep must be a whole number ≥ 1');
  for (const [flag, v] of [['--origin', o.origin], ['--label', o.label], ['--description', o.description], ['--suite', o.suite]] as const) {
    if (v !== undefined && (/[\n\r]/.test(v) || v.trim() === '')) throw new UsageError(`${flag} must be one non-empty line`);
  }
  const d: Distribution = {
    suite: o.suite ?? name,
    components,
    architectures,
    // An Origin is always set: clients pin and unattended-upgrades select archives by it.
    origin: o.origin ?? 'Golden',
    label: o.label ?? o.origin ?? 'Golden',
    description: o.description,
    keep: o.keep ?? 1,
    packages: [],
    metapackages: {},
  };
  state.dists[name] = d;
  return d;
}

/** Pool directory of a source package (Debian's layout: pool/COMPONENT/l/libfoo → pool/main/libf/libfoo). */
export function poolDir(component: string, source: string): string {
  const prefix = source.startsWith('lib') && source.length > 3 ? source.slice(0, 4) : source.slice(0, 1);
  return `pool/${component}/${prefix}/${source}`;
}

export function debFileName(deb: Pick<DebInfo, 'package' | 'version' | 'architecture' | 'kind'>): string {
  return `${deb.package}_${parseVersion(deb.version).epoch ? deb.version.replace(/^\d+:/, '') : deb.version}_${deb.architecture}.${deb.kind}`;
}

interface PendingFile {
  path: string;
  data: Buffer;
  sha256: string;
}

export interface AddResult {
  added: { name: string; version: string; architecture: string }[];
  unchanged: number;
  replaced: { name: string; version: string; architecture: string }[];
}

/** Everything in the archive already known under a pool path, to refuse different content under one name. */
function poolIndex(state: ArchiveState): Map<string, string> {
  const m = new Map<string, string>();
  for (const d of Object.values(state.dists)) for (const p of d.packages) for (const f of p.files) m.set(f.path, f.sha256);
  return m;
}

export async function addFiles(a: Archive, state: ArchiveState, distName: string, files: readonly string[], o: { component?: string | undefined; allowedUploaders?: readonly Uint8Array[] | undefined }): Promise<{ changed: boolean; result: AddResult }> {
  const dist = getDist(state, distName);
  const component = o.component ?? dist.components[0]!;
  if (!dist.components.includes(component)) throw new UsageError(`distribution "${distName}" has no component "${component}"`, { hint: `its components: ${dist.components.join(', ')}` });
  if (files.length === 0) throw new UsageError('no files given to add');
  const debs: { path: string; data: Buffer }[] = [];
  const dscs: string[] = [];
  for (const f of files) {
    if (isChanges(f)) {
      const expanded = await readChanges(f, o.allowedUploaders);
      debs.push(...expanded.debs);
      dscs.push(...expanded.dscs);
    } else if (/\.u?deb$/.test(f)) debs.push({ path: f, data: Buffer.alloc(0) });
    else if (f.endsWith('.dsc')) dscs.push(f);
    else throw new UsageError(`${f}: not a .deb, .udeb, .dsc or .changes file`);
  }
  // Synchronous reads: thousands of small files cost less CPU without a promise and a thread-pool hop each.
  for (const d of debs) {
    if (d.data.length) continue;
    try {
      d.data = readFileSync(d.path);
    } catch (err) {
      throw new UserError(`cannot read ${d.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const infos = await inspectDebBuffers(debs);
  const known = poolIndex(state);
  const pending = new Map<string, PendingFile>();
  const incoming: PackageRecord[] = [];
  const claim = (path: string, data: Buffer, sha256: string, from: string) => {
    const existing = known.get(path) ?? pending.get(path)?.sha256;
    if (existing && existing !== sha256) {
      throw new UserError(`${from}: ${path} is already in the archive with different content`, {
        hint: 'the same package name, version and architecture must always be the same file; raise the version instead. Nothing was changed.',
      });
    }
    if (!existing && !pending.has(path)) pending.set(path, { path, data, sha256 });
  };
  for (const deb of infos) {
    if (deb.architecture !== 'all' && !dist.architectures.includes(deb.architecture)) {
      throw new UserError(`${deb.path}: architecture ${deb.architecture} is not one of ${distName}'s (${dist.architectures.join(', ')})`, { hint: 'add it with add-dist --architectures, or build the package for a listed one' });
    }
    const path = `${poolDir(component, deb.source)}/${debFileName(deb)}`;
    claim(path, deb.data, deb.sha256, deb.path);
    incoming.push({ component, architecture: deb.architecture, kind: deb.kind, name: deb.package, version: deb.version, stanza: packagesStanza(deb.control, path, deb), files: [{ path, size: deb.size, sha256: deb.sha256 }] });
  }
  for (const dscPath of dscs) incoming.push(await readDsc(dscPath, component, claim));
  const result: AddResult = { added: [], unchanged: 0, replaced: [] };
  const packages = [...dist.packages];
  const byKey = new Map<string, PackageRecord[]>();
  const keyOf = (p: PackageRecord) => `${p.kind}\0${p.name}\0${p.architecture}`;
  for (const p of packages) byKey.set(keyOf(p), [...(byKey.get(keyOf(p)) ?? []), p]);
  for (const rec of incoming) {
    const same = byKey.get(keyOf(rec))?.find((p) => compareVersions(p.version, rec.version) === 0);
    if (same) {
      if (same.files[0]?.sha256 !== rec.files[0]?.sha256) {
        throw new UserError(`${rec.name} ${rec.version} (${rec.architecture}) is already in ${distName} with different content`, { hint: 'raise the version to publish a changed package. Nothing was changed.' });
      }
      result.unchanged++;
      continue;
    }
    packages.push(rec);
    byKey.set(keyOf(rec), [...(byKey.get(keyOf(rec)) ?? []), rec]);
    result.added.push({ name: rec.name, version: rec.version, architecture: rec.architecture });
  }
  // Retention: per name/architecture/kind keep the newest `keep` versions.
  const groups = byKey;
  const dropped = new Set<PackageRecord>();
  for (const g of groups.values()) {
    if (g.length <= dist.keep) continue;
    g.sort((x, y) => compareVersions(y.version, x.version));
    for (const old of g.slice(dist.keep)) dropped.add(old);
  }
  for (const rec of incoming) {
    if (dropped.has(rec)) {
      const newest = groups.get(keyOf(rec))![0]!;
      throw new UserError(`${rec.name} ${rec.version} is older than ${newest.version} already in ${distName} (which keeps ${dist.keep} version(s))`, {
        hint: 'remove the newer version first, or keep more versions with add-dist --keep N. Nothing was changed.',
      });
    }
  }
  for (const old of dropped) result.replaced.push({ name: old.name, version: old.version, architecture: old.architecture });
  if (result.added.length === 0) return { changed: false, result };
  // Validation is complete: from here on the archive changes.
  if (pending.size > 0) markPoolDirty(a);
  writePoolFiles(a, [...pending.values()]);
  dist.packages = packages.filter((p) => !dropped.has(p));
  return { changed: true, result };
}

/**
 * Write new pool files under a temporary name, then rename, so a killed `add` never leaves a partial
 * file under a pool name. Synchronous: the data is in memory and the writes land in the page cache, so
 * per-file promises would only add CPU time.
 */
function writePoolFiles(a: Archive, files: readonly PendingFile[]): void {
  const dirs = new Map<string, boolean>(); // directory → made by us (so none of its files can exist yet)
  for (const f of files) {
    const dest = join(a.publicDir, f.path);
    const dir = dirname(dest);
    let fresh = dirs.get(dir);
    if (fresh === undefined) {
      fresh = mkdirSync(dir, { recursive: true }) !== undefined;
      dirs.set(dir, fresh);
    }
    if (!fresh && existsSync(dest)) continue;
    const tmp = `${dest}.tmp-${process.pid}`;
    writeFileSync(tmp, f.data);
    renameSync(tmp, dest);
  }
}

async function readChanges(path: string, allowed: readonly Uint8Array[] | undefined): Promise<{ debs: { path: string; data: Buffer }[]; dscs: string[] }> {
  const cf = await readControlFile(path);
  if (allowed) await checkUploader(cf, allowed);
  const verified = await verifyListedFiles(cf, listedFiles(cf));
  if (verified.length === 0) throw new UserError(`${path}: lists no files`);
  return {
    debs: verified.filter((f) => /\.u?deb$/.test(f.name)).map((f) => ({ path: f.path, data: f.data })),
    dscs: verified.filter((f) => f.name.endsWith('.dsc')).map((f) => f.path),
  };
}

async function checkUploader(cf: ControlFile, allowed: readonly Uint8Array[]): Promise<void> {
  if (!cf.signed) throw new UserError(`${cf.path} is not signed`, { hint: 'sign it with debsign, or drop --allow-uploader' });
  const { verifyClearSigned } = await import('./signing.js');
  const who = await verifyClearSigned(cf.text, allowed);
  if (!who) throw new UserError(`${cf.path} is not signed by an allowed uploader key`, { hint: 'nothing was changed; check the key given with --allow-uploader' });
  log.verbose(`${basename(cf.path)}: signed by ${who}`);
}

async function readDsc(path: string, component: string, claim: (path: string, data: Buffer, sha256: string, from: string) => void): Promise<PackageRecord> {
  const cf = await readControlFile(path);
  const source = getField(cf.stanza, 'Source');
  const version = getField(cf.stanza, 'Version');
  if (!source || !/^[a-z0-9][a-z0-9.+-]+$/.test(source) || !version) throw new UserError(`${path}: missing or invalid Source/Version field`);
  const files = await verifyListedFiles(cf, listedFiles(cf));
  const self = await readAsListed(path);
  const dir = poolDir(component, source);
  for (const f of [self, ...files]) claim(`${dir}/${f.name}`, f.data, f.sha256, path);
  return {
    component,
    architecture: 'source',
    kind: 'dsc',
    name: source,
    version,
    stanza: sourcesStanza(cf, self, files, dir),
    files: [self, ...files].map((f) => ({ path: `${dir}/${f.name}`, size: f.size, sha256: f.sha256 })),
  };
}

/** remove DIST PKG[=VERSION]...: every architecture of the named package (or just that version). */
export function removePackages(state: ArchiveState, distName: string, specs: readonly string[]): { changed: boolean; result: { removed: { name: string; version: string; architecture: string }[] } } {
  const dist = getDist(state, distName);
  const removed: PackageRecord[] = [];
  for (const spec of specs) {
    const [name, version] = spec.split('=', 2) as [string, string | undefined];
    const hits = dist.packages.filter((p) => p.name === name && (version === undefined || compareVersions(p.version, version) === 0));
    if (hits.length === 0) throw new UserError(`${distName} has no package ${spec}`, { hint: 'see `golden repo list DIST`' });
    removed.push(...hits);
  }
  dist.packages = dist.packages.filter((p) => !removed.includes(p));
  return { changed: removed.length > 0, result: { removed: removed.map((p) => ({ name: p.name, version: p.version, architecture: p.architecture })) } };
}

export interface ListRow {
  dist: string;
  component: string;
  name: string;
  version: string;
  architecture: string;
  kind: string;
}

export function listPackages(state: ArchiveState, dist?: string): ListRow[] {
  const names = dist ? [dist] : Object.keys(state.dists).sort();
  const rows: ListRow[] = [];
  for (const n of names) {
    const d = getDist(state, n);
    for (const p of d.packages) rows.push({ dist: n, component: p.component, name: p.name, version: p.version, architecture: p.architecture, kind: p.kind });
  }
  return rows.sort((x, y) => (x.dist + x.name < y.dist + y.name ? -1 : x.dist + x.name > y.dist + y.name ? 1 : compareVersions(x.version, y.version)));
}
