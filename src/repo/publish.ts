// Atomic publication. Each publish writes a complete new generation public/.gen/N/dists in a temporary
// directory, fsyncs it, renames it into place, then switches public/dists (a symlink) to it with
// rename(2). A reader resolves dists/ once per request, so it sees the old or the new generation,
// never a mix; a SIGKILL at any point leaves the last good symlink. The previous generation's indexes
// stay reachable under by-hash/ and the pool files it references are kept until the next publish.
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, rmdirSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log } from '../log/logger.js';
import { type Archive, type ArchiveState, loadState } from './archive.js';
import { fsyncDir, syncAll, writeDist, writeFileDurable } from './indexes.js';

const GEN = '.gen';

function generations(publicDir: string): number[] {
  const dir = join(publicDir, GEN);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .sort((a, b) => a - b);
}

/** The generation public/dists points at, if any. */
export function currentGeneration(publicDir: string): number | undefined {
  try {
    const m = /^\.gen\/(\d+)\/dists$/.exec(readlinkSync(join(publicDir, 'dists')));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface PublishResult {
  generation: number;
  dists: string[];
  removedPoolFiles: number;
}

export async function publishArchive(a: Archive, state: ArchiveState = loadState(a)): Promise<PublishResult> {
  const signingKey = readFileSync(a.privateKeyPath, 'utf8');
  const genDir = join(a.publicDir, GEN);
  mkdirSync(genDir, { recursive: true });
  // Leftovers of a publish that was killed: never referenced by anything, safe to drop.
  for (const n of readdirSync(genDir)) if (n.endsWith('.tmp')) rmSync(join(genDir, n), { recursive: true, force: true });
  const current = currentGeneration(a.publicDir);
  const next = Math.max(0, ...generations(a.publicDir)) + 1;
  const tmp = join(genDir, `${next}.tmp`);
  const names = Object.keys(state.dists).sort();
  mkdirSync(join(tmp, 'dists'), { recursive: true });
  for (const name of names) {
    const d = state.dists[name]!;
    await writeDist({
      distDir: join(tmp, 'dists', name),
      info: { suite: d.suite, codename: name, components: d.components, architectures: d.architectures, origin: d.origin, label: d.label, description: d.description },
      entries: d.packages,
      signingKey,
      byHash: true,
      previousDistDir: current === undefined ? undefined : join(genDir, String(current), 'dists', name),
    });
  }
  const pool = [...new Set(names.flatMap((n) => state.dists[n]!.packages.flatMap((p) => p.files.map((f) => f.path))))].sort();
  writeFileSync(join(tmp, 'pool.list'), pool.join('\n') + (pool.length ? '\n' : ''));
  await syncAll([join(tmp, 'pool.list'), join(tmp, 'dists'), tmp]);
  renameSync(tmp, join(genDir, String(next)));
  fsyncDir(genDir);
  const link = join(a.publicDir, '.dists.new');
  if (existsSync(link) || isSymlink(link)) unlinkSync(link);
  symlinkSync(`${GEN}/${next}/dists`, link);
  renameSync(link, join(a.publicDir, 'dists'));
  fsyncDir(a.publicDir);
  log.verbose(`published generation ${next} (${names.length} distribution(s))`);
  const removedPoolFiles = collectGarbage(a, state, next, current);
  return { generation: next, dists: names, removedPoolFiles };
}

function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function readPoolList(publicDir: string, gen: number | undefined): string[] {
  if (gen === undefined) return [];
  try {
    return readFileSync(join(publicDir, GEN, String(gen), 'pool.list'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * Pool files that may be referenced by nothing: only `add` writes pool files, and it first records its
 * PID in db/pool-dirty. A publish by that same (living) process knows every file it wrote is in the
 * database; a marker left by another, dead process (killed, or --no-publish followed by a removal)
 * means the whole pool must be walked once.
 */
export function markPoolDirty(a: Archive): void {
  const marker = join(a.root, 'db', 'pool-dirty');
  if (!existsSync(marker)) writeFileDurable(marker, `${process.pid}\n`);
}

/** Keep the current and the previous generation; drop pool files neither of them nor the database references. */
function collectGarbage(a: Archive, state: ArchiveState, current: number, previous: number | undefined): number {
  const dropped = generations(a.publicDir).filter((g) => g !== current && g !== previous);
  const candidates = new Set(dropped.flatMap((g) => readPoolList(a.publicDir, g)));
  for (const g of dropped) rmSync(join(a.publicDir, GEN, String(g)), { recursive: true, force: true });
  const keep = new Set([...readPoolList(a.publicDir, current), ...readPoolList(a.publicDir, previous)]);
  for (const d of Object.values(state.dists)) for (const p of d.packages) for (const f of p.files) keep.add(f.path);
  const marker = join(a.root, 'db', 'pool-dirty');
  let writer: string | undefined;
  try {
    writer = readFileSync(marker, 'utf8').trim();
  } catch {
    writer = undefined;
  }
  let removed = 0;
  const remove = (rel: string) => {
    try {
      unlinkSync(join(a.publicDir, rel));
      removed++;
    } catch {
      return; // already gone
    }
    // drop directories left empty, up to pool/COMPONENT
    for (let dir = rel.slice(0, rel.lastIndexOf('/')); dir.split('/').length > 2; dir = dir.slice(0, dir.lastIndexOf('/'))) {
      try {
        rmdirSync(join(a.publicDir, dir));
      } catch {
        break;
      }
    }
  };
  if (writer !== undefined && writer !== String(process.pid)) {
    const walk = (rel: string) => {
      for (const e of readdirSync(join(a.publicDir, rel), { withFileTypes: true })) {
        const r = `${rel}/${e.name}`;
        if (e.isDirectory()) walk(r);
        // a pool temp file here was left by a killed `add`: we hold the lock, nobody is writing it
        else if (!keep.has(r)) remove(r);
      }
    };
    if (existsSync(join(a.publicDir, 'pool'))) walk('pool');
  } else {
    for (const c of candidates) if (!keep.has(c)) remove(c);
  }
  if (writer !== undefined) unlinkSync(marker);
  if (removed) log.verbose(`removed ${removed} pool file(s) no distribution references any more`);
  return removed;
}
