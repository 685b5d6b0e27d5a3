// The content-addressed build cache. Layout under the cache directory:
//   layers/KEY/{tree,meta.json}   a layer: an overlayfs upper directory (base: a full tree) and its inputs
//   outputs/KEY/{files...,meta.json} an output artefact cached by key
//   tmp/PID-RANDOM/               work in progress; renamed into place when complete (atomic)
//   locks/KEY.lock                one builder per key; others wait, then reuse its result
//   debs/VENDOR/                  apt's archives directory, bind-mounted into every package step
//   apt-lists/HASH/               apt's lists for one set of sources, never inside a layer
//   records/HASH.json             the last build of each config (for `plan` and `cache gc`)
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { run } from '../exec/run.js';
import { log } from '../log/logger.js';
import { acquireLock, type Lock } from '../repo/lock.js';
import type { LayerInputs } from './keys.js';
import { fsyncDir, processAlive as alive } from '../os/durable.js';
export { fsyncDir };

export const DEFAULT_CACHE_DIR = '/var/cache/golden';

/** --cache, else $GOLDEN_CACHE, else /var/cache/golden. */
export function resolveCacheDir(option?: string): string {
  // Absolute, because build tools (mmdebstrap, chroots, nsenter) run with other working directories.
  return resolve(option ?? process.env['GOLDEN_CACHE'] ?? DEFAULT_CACHE_DIR);
}

export interface EntryMeta {
  kind: 'layer' | 'output';
  key: string;
  step: string;
  inputs: LayerInputs;
  created: string;
  bytes: number;
  seconds: number;
  /** For outputs: the files kept, relative to the entry directory. */
  files?: string[];
}

export interface CacheEntry extends EntryMeta {
  dir: string;
  lastUsed: Date;
}


export class CacheStore {
  constructor(readonly dir: string) {}

  static open(dir: string): CacheStore {
    try {
      for (const sub of ['layers', 'outputs', 'tmp', 'locks', 'debs', 'apt-lists', 'records']) mkdirSync(join(dir, sub), { recursive: true });
    } catch (err) {
      throw new UserError(`cannot use the cache directory ${dir}: ${(err as Error).message}`, { hint: 'choose another one with --cache DIR or GOLDEN_CACHE=DIR' });
    }
    return new CacheStore(dir);
  }

  entryDir(kind: 'layer' | 'output', key: string): string {
    return join(this.dir, kind === 'layer' ? 'layers' : 'outputs', key);
  }

  layerTree(key: string): string {
    return join(this.entryDir('layer', key), 'tree');
  }

  /** The stored entry, or undefined. An entry exists only once complete (it is renamed into place). */
  lookup(kind: 'layer' | 'output', key: string): CacheEntry | undefined {
    const dir = this.entryDir(kind, key);
    const metaPath = join(dir, 'meta.json');
    if (!existsSync(metaPath)) return undefined;
    try {
      const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as EntryMeta;
      return { ...meta, dir, lastUsed: statSync(metaPath).mtime };
    } catch {
      return undefined;
    }
  }

  /** Mark an entry as used now (gc keeps recently used entries). */
  touch(kind: 'layer' | 'output', key: string): void {
    const now = new Date();
    try {
      utimesSync(join(this.entryDir(kind, key), 'meta.json'), now, now);
    } catch {
      // gone meanwhile: nothing to mark
    }
  }

  /** Wait until no other Golden process builds `key`, then hold it. */
  lock(key: string): Promise<Lock> {
    return acquireLock(join(this.dir, 'locks', `${key}.lock`), 6 * 3600, `the cache entry ${key.slice(0, 12)}`);
  }

  /** A fresh work directory owned by this process; `clearStale()` removes it if this process dies. */
  makeTmp(label: string): string {
    const dir = join(this.dir, 'tmp', `${process.pid}-${label}-${Math.random().toString(36).slice(2, 8)}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** Remove work directories whose owner process is gone (a killed build). */
  clearStale(): number {
    let n = 0;
    for (const name of readdirSync(join(this.dir, 'tmp'))) {
      const pid = Number(name.split('-')[0]);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) continue;
      if (pid === process.pid) continue;
      rmSync(join(this.dir, 'tmp', name), { recursive: true, force: true });
      n++;
    }
    if (n > 0) log.verbose(`removed ${n} unfinished work director${n === 1 ? 'y' : 'ies'} left by killed builds`);
    return n;
  }

  /**
   * Put a finished entry into place: `tmpDir` holds the content (`tree/` or output files); meta.json is
   * written, everything is flushed to disk (syncfs), then the directory is renamed to its key.
   */
  async commit(tmpDir: string, meta: Omit<EntryMeta, 'bytes'>): Promise<CacheEntry> {
    const bytes = await diskUsage(tmpDir);
    const full: EntryMeta = { ...meta, bytes };
    writeFileSync(join(tmpDir, 'meta.json'), `${JSON.stringify(full, null, 2)}\n`);
    await run('sync', ['-f', tmpDir], { purpose: 'flush the cache entry to disk' });
    const dest = this.entryDir(meta.kind, meta.key);
    if (existsSync(dest)) rmSync(dest, { recursive: true, force: true }); // an incomplete leftover: it has no meta.json
    renameSync(tmpDir, dest);
    fsyncDir(join(dest, '..'));
    return { ...full, dir: dest, lastUsed: new Date() };
  }

  list(): CacheEntry[] {
    const out: CacheEntry[] = [];
    for (const kind of ['layer', 'output'] as const) {
      const parent = join(this.dir, kind === 'layer' ? 'layers' : 'outputs');
      if (!existsSync(parent)) continue;
      for (const key of readdirSync(parent)) {
        const e = this.lookup(kind, key);
        if (e) out.push(e);
      }
    }
    return out.sort((a, b) => a.created.localeCompare(b.created));
  }

  remove(entry: { dir: string }): void {
    // Rename first so a reader never sees a half-deleted entry under its key.
    const doomed = join(this.dir, 'tmp', `0-removed-${Math.random().toString(36).slice(2, 10)}`);
    renameSync(entry.dir, doomed);
    rmSync(doomed, { recursive: true, force: true });
  }

  debsDir(vendor: string): string {
    const d = join(this.dir, 'debs', vendor);
    mkdirSync(join(d, 'partial'), { recursive: true });
    return d;
  }

  aptListsDir(hash: string): string {
    const d = join(this.dir, 'apt-lists', hash);
    mkdirSync(join(d, 'partial'), { recursive: true });
    return d;
  }

  recordPath(configId: string): string {
    return join(this.dir, 'records', `${configId}.json`);
  }
}


/** Bytes used on disk by a tree (du counts hard links once, like the file system does). */
export async function diskUsage(path: string): Promise<number> {
  const r = await run('du', ['-sb', path], { allowFailure: true });
  const n = Number(r.stdout.split(/\s/)[0]);
  return Number.isFinite(n) ? n : 0;
}
