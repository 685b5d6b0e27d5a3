// The pool on the disc: packages resolved with apt against the configured sources (a private apt state,
// never the host's), downloaded into pool/, indexed and signed by a one-time ed25519 key made for this
// build (repo/indexes publishFlatPool), and the deb822 cdrom.sources that lets apt on the live system
// (and on systems installed from it) use the disc with no network.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../errors.js';
import { run } from '../../exec/run.js';
import { log } from '../../log/logger.js';
import { publishFlatPool } from '../../repo/indexes.js';
import { deb822Sources } from '../../repo/sources.js';

export interface AptSource {
  uri: string;
  suites: string[];
  components: string[];
  /** Keyring file that signs it. */
  signedBy: string;
}

export interface AptState {
  dir: string;
  configFile: string;
}

/** A private apt configuration under `dir`: its own sources, lists, cache and an empty dpkg status. */
export function writeAptState(dir: string, arch: string, sources: readonly AptSource[]): AptState {
  for (const d of ['etc/apt/sources.list.d', 'etc/apt/apt.conf.d', 'etc/apt/preferences.d', 'var/lib/apt/lists/partial', 'var/cache/apt/archives/partial', 'var/lib/dpkg']) {
    mkdirSync(join(dir, d), { recursive: true });
  }
  writeIfChanged(join(dir, 'etc/apt/sources.list'), '');
  if (!existsSync(join(dir, 'var/lib/dpkg/status'))) writeFileSync(join(dir, 'var/lib/dpkg/status'), '');
  const stanzas = sources.map((s) => [`Types: deb`, `URIs: ${s.uri}`, `Suites: ${s.suites.join(' ')}`, `Components: ${s.components.join(' ')}`, `Signed-By: ${s.signedBy}`].join('\n'));
  writeIfChanged(join(dir, 'etc/apt/sources.list.d/golden.sources'), `${stanzas.join('\n\n')}\n`);
  const configFile = join(dir, 'apt.conf');
  writeIfChanged(
    configFile,
    [
      `Dir::Etc "${dir}/etc/apt/";`,
      `Dir::State "${dir}/var/lib/apt/";`,
      `Dir::State::status "${dir}/var/lib/dpkg/status";`,
      `Dir::Cache "${dir}/var/cache/apt/";`,
      `APT::Architecture "${arch}";`,
      `APT::Architectures { "${arch}"; };`,
      'Acquire::Languages "none";',
      'Acquire::Retries "3";',
      'APT::Install-Recommends "false";',
      'Debug::NoLocking "true";',
      '',
    ].join('\n'),
  );
  return { dir, configFile };
}

// apt rebuilds its binary cache (~2 s) when a sources file is newer than it: a kept state must not be
// rewritten with the same content
function writeIfChanged(path: string, content: string): void {
  if (existsSync(path) && readFileSync(path, 'utf8') === content) return;
  writeFileSync(path, content);
}

export function aptEnv(state: AptState): Record<string, string> {
  return { APT_CONFIG: state.configFile, DEBIAN_FRONTEND: 'noninteractive' };
}

export async function updateAptState(state: AptState): Promise<void> {
  await run('apt-get', ['update', '-q'], { env: aptEnv(state), purpose: 'reading the package lists for the pool' });
}

/** Package names from list files: one per line, "#" comments; germinate tables ("name | source | ...") too. */
export function parsePackageList(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line || line.startsWith('-') || /^Package\s/.test(line)) continue;
    const name = line.split('|')[0]!.trim().split(/\s+/)[0]!;
    if (/^[a-z0-9][a-z0-9.+-]+$/.test(name)) out.push(name);
  }
  return out;
}

/**
 * What apt answers depends only on its lists: answers are kept in the state directory, keyed by the
 * question and the lists' names, sizes and dates, so a rebuild asks apt nothing (each apt-cache run
 * costs 0.3-1 s of loading its cache on a busy machine).
 */
async function memoised<T>(state: AptState, question: unknown, ask: () => Promise<T>): Promise<T> {
  const lists = join(state.dir, 'var/lib/apt/lists');
  const stamp = existsSync(lists)
    ? readdirSync(lists)
        .sort()
        .map((f) => {
          const st = statSync(join(lists, f));
          return `${f}:${st.size}:${st.mtimeMs}`;
        })
    : [];
  const lists16 = createHash('sha256').update(JSON.stringify(stamp)).digest('hex').slice(0, 16);
  const key = `${lists16}-${createHash('sha256').update(JSON.stringify(question)).digest('hex').slice(0, 16)}`;
  const dir = join(state.dir, 'answers');
  const file = join(dir, `${key}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as T;
  const answer = await ask();
  mkdirSync(dir, { recursive: true });
  // answers of older lists are useless: keep only the current ones
  for (const f of readdirSync(dir)) if (!f.startsWith(lists16)) rmSync(join(dir, f), { force: true });
  writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify(answer));
  renameSync(`${file}.${process.pid}.tmp`, file);
  return answer;
}

/** The packages and everything they depend on (Depends and Pre-Depends, every alternative), sorted. */
export async function resolvePool(state: AptState, packages: readonly string[]): Promise<string[]> {
  if (packages.length === 0) return [];
  return memoised(state, ['depends', [...packages].sort()], () => askDepends(state, packages));
}

async function askDepends(state: AptState, packages: readonly string[]): Promise<string[]> {
  const res = await run(
    'apt-cache',
    ['depends', '--recurse', '--no-recommends', '--no-suggests', '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances', ...packages],
    { env: aptEnv(state), allowFailure: true, purpose: 'resolving the pool packages' },
  );
  if (res.exitCode !== 0) {
    const missing = /No packages found|Unable to locate package ([^\s]+)/.exec(res.stderr);
    throw new UserError(`the pool cannot be resolved: ${res.stderr.trim().split('\n').pop()}`, {
      hint: missing ? 'check the names in iso.pool (or the package list file) against the configured distribution' : undefined,
    });
  }
  const names = new Set<string>();
  for (const line of res.stdout.split('\n')) {
    if (/^[a-z0-9][a-z0-9.+-]+$/.test(line)) names.add(line);
  }
  return [...names].sort();
}

/** Debian's pool directory of a package: pool/COMPONENT/{l|libX}/NAME/. */
export function poolDir(component: string, name: string): string {
  const prefix = name.startsWith('lib') && name.length > 3 ? name.slice(0, 4) : name.charAt(0);
  return join('pool', component, prefix, name);
}

/**
 * Download the packages (cached in `debCache`, apt skips files already there with the right hash) and
 * link them into root/pool. Returns the pool paths relative to root.
 */
export async function downloadPool(state: AptState, names: readonly string[], debCache: string, root: string, component = 'main'): Promise<string[]> {
  if (names.length === 0) return [];
  mkdirSync(debCache, { recursive: true });
  const before = new Set(readdirSync(debCache));
  const want = new Map(await memoised(state, ['show', names], () => askFiles(state, names)));
  // apt-get download checks the hash of a file already there, but even that costs a second of apt
  // start-up: packages already in the cache with the archive's size are taken as they are
  const missing = names.filter((n) => {
    const f = want.get(n);
    const path = f ? join(debCache, f.downloaded) : '';
    return !f || !existsSync(path) || statSync(path).size !== f.size;
  });
  if (missing.length > 0) await run('apt-get', ['download', '-q', ...missing], { cwd: debCache, env: aptEnv(state), purpose: 'downloading the pool packages' });
  const out: string[] = [];
  for (const name of names) {
    const file = want.get(name);
    if (!file || !existsSync(join(debCache, file.downloaded))) throw new UserError(`apt-get download did not produce ${file?.downloaded ?? name}`);
    const rel = join(poolDir(component, name), file.pooled);
    mkdirSync(join(root, poolDir(component, name)), { recursive: true });
    linkOrCopy(join(debCache, file.downloaded), join(root, rel));
    out.push(rel);
  }
  const fresh = readdirSync(debCache).filter((f) => !before.has(f)).length;
  log.verbose(`pool: ${names.length} packages, ${fresh} downloaded, ${names.length - fresh} from the cache`);
  return out;
}

interface PoolFile {
  /** The name apt-get download gives it: NAME_VERSION_ARCH.deb with ":" in the version as "%3a". */
  downloaded: string;
  /** The archive's own file name (no epoch), as Debian's pools keep it. */
  pooled: string;
  size: number;
}

async function askFiles(state: AptState, names: readonly string[]): Promise<[string, PoolFile][]> {
  const want = new Map<string, PoolFile>();
  const shown = await run('apt-cache', ['show', '--no-all-versions', ...names], { env: aptEnv(state), purpose: 'reading the pool package versions' });
  for (const stanza of shown.stdout.split(/\n\n+/)) {
    const name = /^Package: (.+)$/m.exec(stanza)?.[1];
    const version = /^Version: (.+)$/m.exec(stanza)?.[1];
    const arch = /^Architecture: (.+)$/m.exec(stanza)?.[1];
    const file = /^Filename: (.+)$/m.exec(stanza)?.[1];
    const size = Number(/^Size: (\d+)$/m.exec(stanza)?.[1] ?? -1);
    if (name && version && arch && file && !want.has(name)) want.set(name, { downloaded: `${name}_${version.replace(/:/g, '%3a')}_${arch}.deb`, pooled: file.split('/').pop()!, size });
  }
  return [...want];
}

export function linkOrCopy(from: string, to: string): void {
  rmSync(to, { force: true });
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

export interface PoolIndexOptions {
  root: string;
  suite: string;
  arch: string;
  debs: readonly string[];
  signingKey: string;
  origin: string;
}

/** Index and sign the pool: root/dists/SUITE with Release, InRelease, Release.gpg. */
export async function indexPool(o: PoolIndexOptions): Promise<void> {
  rmSync(join(o.root, 'dists'), { recursive: true, force: true });
  await publishFlatPool({
    root: o.root,
    suite: o.suite,
    components: ['main'],
    architectures: [o.arch],
    debs: o.debs,
    signingKey: o.signingKey,
    origin: o.origin,
    label: o.origin,
    description: `${o.origin} disc pool`,
  });
}

/** cdrom.sources: the disc's pool at `mountpoint`, trusted through its one-time key held inline. */
export function cdromSources(o: { mountpoint: string; suite: string; publicKey: string }): string {
  return deb822Sources({ uris: `file://${o.mountpoint}`, suites: o.suite, components: 'main', signedBy: o.publicKey, checkDate: false });
}

/** Bytes of the pool directory (for the build summary). */
export function treeBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const f of readdirSync(dir, { recursive: true }) as string[]) {
    const st = statSync(join(dir, f));
    if (st.isFile()) n += st.size;
  }
  return n;
}

export function readPackageListFiles(files: readonly string[]): string[] {
  return files.flatMap((f) => {
    if (!existsSync(f)) throw new UserError(`${f}: the pool package list does not exist`);
    return parsePackageList(readFileSync(f, 'utf8'));
  });
}
