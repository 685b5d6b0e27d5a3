// Writes a complete, signed dists/SUITE tree (Debian repository format): Packages and Sources in
// plain/.gz/.xz, per-component Release files, by-hash copies, Release, InRelease and Release.gpg.
// Used by `golden repo publish` (into a fresh generation directory) and by the ISO's on-disc pool
// (publishFlatPool).
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { UserError } from '../errors.js';
import { gzip } from './compress.js';
import { type Stanza, formatStanza, getField, parseDeb822 } from './deb822.js';
import { type FileHashes, inspectDebs } from './debfile.js';
import { type IndexFile, type IndexHashes, type ReleaseInfo, componentRelease, formatRelease, hashIndex } from './release.js';
import { clearSign, detachSign, sourceDateEpoch } from './signing.js';
import { compareVersions } from './version.js';
import { type XzBlock, blockCache, xzIndex } from './xzblocks.js';
import { fsyncDir } from '../os/durable.js';
export { fsyncDir };

/** One line of an index: a binary package (Packages) or a source package (Sources). */
export interface IndexEntry {
  component: string;
  /** Binary architecture, `all`, or `source`. */
  architecture: string;
  kind: 'deb' | 'udeb' | 'dsc';
  name: string;
  version: string;
  /** The complete stanza text, ending with a newline, without the blank separator line. */
  stanza: string;
}

/** The Packages stanza of a binary: control fields in Debian order, then where it is and its checksums. */
export function packagesStanza(control: Stanza, filename: string, h: FileHashes): string {
  return `${formatStanza(control)}Filename: ${filename}\nSize: ${h.size}\nMD5sum: ${h.md5}\nSHA1: ${h.sha1}\nSHA256: ${h.sha256}\n`;
}

export function writeFileDurable(path: string, data: Buffer | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w', 0o644);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * fsync many files and directories at once. Written first and synced together, they share journal
 * commits, instead of one commit per file, which matters on a busy disk.
 */
export async function syncAll(paths: Iterable<string>): Promise<void> {
  const { open } = await import('node:fs/promises');
  await Promise.all(
    [...new Set(paths)].map(async (p) => {
      const fh = await open(p, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    }),
  );
}

function writeFileNoSync(path: string, data: Buffer | string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
}


function byName(a: IndexEntry, b: IndexEntry): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : compareVersions(a.version, b.version) || (a.architecture < b.architecture ? -1 : a.architecture > b.architecture ? 1 : 0);
}

interface PlannedIndex {
  /** e.g. main/binary-amd64/Packages */
  path: string;
  entries: IndexEntry[];
}

function planIndexes(info: Pick<ReleaseInfo, 'components' | 'architectures'>, entries: readonly IndexEntry[]): PlannedIndex[] {
  const binArchs = info.architectures.filter((a) => a !== 'source');
  const hasSources = entries.some((e) => e.kind === 'dsc');
  const hasUdebs = entries.some((e) => e.kind === 'udeb');
  const plans: PlannedIndex[] = [];
  for (const comp of info.components) {
    const inComp = entries.filter((e) => e.component === comp);
    for (const arch of binArchs) {
      const forArch = (kind: IndexEntry['kind']) =>
        inComp.filter((e) => e.kind === kind && (e.architecture === arch || (e.architecture === 'all' && arch !== 'all'))).sort(byName);
      plans.push({ path: `${comp}/binary-${arch}/Packages`, entries: forArch('deb') });
      if (hasUdebs) plans.push({ path: `${comp}/debian-installer/binary-${arch}/Packages`, entries: forArch('udeb') });
    }
    if (hasSources) plans.push({ path: `${comp}/source/Sources`, entries: inComp.filter((e) => e.kind === 'dsc').sort(byName) });
  }
  return plans;
}

export interface WriteDistOptions {
  /** The dists/SUITE directory to create (must not exist yet). */
  distDir: string;
  info: Omit<ReleaseInfo, 'byHash' | 'date'> & { date?: Date };
  entries: readonly IndexEntry[];
  signingKey: string;
  byHash: boolean;
  /** The same suite in the generation being replaced: unchanged indexes are reused, its by-hash files kept. */
  previousDistDir?: string | undefined;
}

/** Write one signed suite; returns the index files listed in its Release. */
export async function writeDist(opts: WriteDistOptions): Promise<IndexFile[]> {
  const date = opts.info.date ?? sourceDateEpoch() ?? new Date();
  const info: ReleaseInfo = { ...opts.info, date, byHash: opts.byHash };
  const plans = planIndexes(info, opts.entries);
  const prev = opts.previousDistDir && existsSync(join(opts.previousDistDir, 'Release')) ? opts.previousDistDir : undefined;
  const files: IndexFile[] = [];
  const reused = new Set<string>();
  await Promise.all(
    plans.map(async (plan) => {
      const plain = Buffer.from(plan.entries.map((e) => e.stanza).join('\n'));
      let gz: Buffer | undefined;
      let xz: Buffer | undefined;
      let cache: Map<string, XzBlock> | undefined;
      if (prev) {
        // An unchanged index keeps its compressed forms; a changed one reuses the xz blocks of its
        // unchanged chunks.
        try {
          const prevPlain = readFileSync(join(prev, plan.path));
          const prevXz = readFileSync(join(prev, `${plan.path}.xz`));
          if (prevPlain.equals(plain)) {
            gz = readFileSync(join(prev, `${plan.path}.gz`));
            xz = prevXz;
            reused.add(plan.path);
          } else cache = blockCache(prevPlain, prevXz);
        } catch {
          gz = xz = undefined;
        }
      }
      gz ??= gzip(plain);
      xz ??= await xzIndex(plain, cache);
      files.push({ path: plan.path, data: plain }, { path: `${plan.path}.gz`, data: gz }, { path: `${plan.path}.xz`, data: xz });
      const dir = dirname(plan.path);
      const [comp] = plan.path.split('/');
      const arch = dir.endsWith('/source') ? 'source' : dir.replace(/^.*binary-/, '');
      files.push({ path: `${dir}/Release`, data: Buffer.from(componentRelease(info, comp!, arch)) });
    }),
  );
  const hashed = files.map((f) => ({ ...f, hashes: hashIndex(f.data) }));
  const written: string[] = [];
  const put = (rel: string, data: Buffer | string) => {
    writeFileNoSync(join(opts.distDir, rel), data);
    written.push(join(opts.distDir, rel));
  };
  for (const f of hashed) put(f.path, f.data);
  if (opts.byHash) written.push(...linkByHash(opts.distDir, hashed, prev));
  const release = formatRelease(info, hashed);
  const [inRelease, releaseGpg] = await Promise.all([clearSign(release, opts.signingKey, date), detachSign(release, opts.signingKey, date)]);
  put('Release', release);
  put('Release.gpg', releaseGpg);
  put('InRelease', inRelease);
  const dirs = new Set<string>([opts.distDir]);
  for (const p of written) for (let d = dirname(p); d.startsWith(`${opts.distDir}/`) && !dirs.has(d); d = dirname(d)) dirs.add(d);
  await syncAll([...written, ...dirs]);
  return hashed;
}

const BY_HASH_DIRS: [string, keyof IndexHashes][] = [['MD5Sum', 'md5'], ['SHA256', 'sha256'], ['SHA512', 'sha512']];

/**
 * by-hash/ (apt's Acquire-By-Hash): every index is also reachable under its checksum, so a client that
 * read the previous InRelease still finds the files it names after the switch. The previous
 * generation's current indexes are carried over as hard links.
 */
function linkByHash(distDir: string, files: readonly (IndexFile & { hashes: IndexHashes })[], prev: string | undefined): string[] {
  const made: string[] = [];
  const link = (from: string, to: string) => {
    if (existsSync(to)) return;
    mkdirSync(dirname(to), { recursive: true });
    linkSync(from, to);
    made.push(to);
  };
  for (const f of files) {
    if (f.path.endsWith('/Release')) continue;
    for (const [dirName, key] of BY_HASH_DIRS) link(join(distDir, f.path), join(distDir, dirname(f.path), 'by-hash', dirName, f.hashes[key]));
  }
  if (!prev) return made;
  const prevRelease = parseDeb822(readFileSync(join(prev, 'Release'), 'utf8'))[0] ?? [];
  const prevDirs = new Set<string>();
  for (const [dirName] of BY_HASH_DIRS) {
    for (const line of (getField(prevRelease, dirName) ?? '').split('\n')) {
      const [hash, , path] = line.trim().split(/\s+/);
      if (!hash || !path || path.endsWith('/Release')) continue;
      prevDirs.add(join(dirname(path), 'by-hash', dirName));
      const src = join(prev, dirname(path), 'by-hash', dirName, hash);
      if (existsSync(src)) link(src, join(distDir, dirname(path), 'by-hash', dirName, hash));
    }
  }
  // Publishes can follow each other faster than a client fetches: one that read an InRelease two or
  // more generations old must still find its indexes. Older by-hash files stay for BY_HASH_KEEP_MS
  // after their index was written (a hard link keeps the index's mtime), as Debian's archive does.
  const since = Date.now() - BY_HASH_KEEP_MS;
  for (const rel of prevDirs) {
    let names: string[];
    try {
      names = readdirSync(join(prev, rel));
    } catch {
      continue;
    }
    for (const name of names) {
      const src = join(prev, rel, name);
      const to = join(distDir, rel, name);
      if (!existsSync(to) && statSync(src).mtimeMs >= since) link(src, to);
    }
  }
  return made;
}

const BY_HASH_KEEP_MS = 10 * 60 * 1000;

export interface FlatPoolOptions {
  /** The directory that holds pool/ and receives dists/. */
  root: string;
  suite: string;
  codename?: string;
  components: readonly string[];
  architectures: readonly string[];
  /** Paths of .deb/.udeb files under root (relative to root, or absolute inside it). */
  debs: readonly string[];
  /** ASCII-armoured private key. */
  signingKey: string;
  origin?: string;
  label?: string;
  description?: string;
}

/**
 * Index and sign a directory that already holds its .debs (the pool on an ISO): writes
 * root/dists/SUITE/ with Packages (plain, gz, xz), Release, InRelease and Release.gpg.
 * A .deb's component is the directory after pool/ when that is one of `components`, else the first one.
 */
export async function publishFlatPool(opts: FlatPoolOptions): Promise<void> {
  if (opts.components.length === 0) throw new UserError('publishFlatPool: at least one component is needed');
  const abs = opts.debs.map((d) => (d.startsWith('/') ? d : join(opts.root, d)));
  const infos = await inspectDebs(abs);
  const entries: IndexEntry[] = infos.map((deb) => {
    const rel = relative(opts.root, deb.path).split(sep).join('/');
    if (rel.startsWith('../')) throw new UserError(`${deb.path} is not inside ${opts.root}`);
    const parts = rel.split('/');
    const component = parts[0] === 'pool' && parts[1] && opts.components.includes(parts[1]) ? parts[1] : opts.components[0]!;
    return { component, architecture: deb.architecture, kind: deb.kind, name: deb.package, version: deb.version, stanza: packagesStanza(deb.control, rel, deb) };
  });
  const distDir = join(opts.root, 'dists', opts.suite);
  if (existsSync(distDir) && readdirSync(distDir).length > 0) throw new UserError(`${distDir} already exists`, { hint: 'publishFlatPool writes a fresh dists/ tree; remove the old one first' });
  await writeDist({
    distDir,
    info: {
      suite: opts.suite,
      codename: opts.codename ?? opts.suite,
      components: opts.components,
      architectures: opts.architectures,
      origin: opts.origin,
      label: opts.label,
      description: opts.description,
    },
    entries,
    signingKey: opts.signingKey,
    byHash: false,
  });
}
