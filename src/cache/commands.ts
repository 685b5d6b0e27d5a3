// `golden cache list|gc|rm`.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { allRecords } from '../build/record.js';
import { UsageError } from '../errors.js';
import { formatBytes, log } from '../log/logger.js';
import { CacheStore, diskUsage, resolveCacheDir, type CacheEntry } from './store.js';

interface Common {
  cacheDir?: string;
  json?: boolean;
}

function age(d: Date | string): string {
  const s = (Date.now() - new Date(d).getTime()) / 1000;
  if (s < 3600) return `${Math.round(s / 60)}m`;
  if (s < 86400) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

export async function cacheList(opts: Common): Promise<void> {
  const store = CacheStore.open(resolveCacheDir(opts.cacheDir));
  const entries = store.list();
  const debs = await diskUsage(join(store.dir, 'debs'));
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ cache: store.dir, entries: entries.map(({ inputs: _i, ...e }) => e), debsBytes: debs }, null, 2)}\n`);
    return;
  }
  const total = entries.reduce((n, e) => n + e.bytes, 0);
  log.info(`${'KEY'.padEnd(12)}  ${'STEP'.padEnd(14)}  ${'SIZE'.padStart(10)}  ${'AGE'.padStart(4)}  USED`);
  for (const e of entries) log.info(`${e.key.slice(0, 12)}  ${e.step.padEnd(14)}  ${formatBytes(e.bytes).padStart(10)}  ${age(e.created).padStart(4)}  ${age(e.lastUsed)} ago`);
  log.info(`${entries.length} entries, ${formatBytes(total)}; downloaded .debs ${formatBytes(debs)}; cache ${store.dir}`);
}

/** Keys the latest build of each config uses: gc never removes them. */
function referencedKeys(store: CacheStore): Set<string> {
  const keep = new Set<string>();
  for (const r of allRecords(store)) {
    for (const s of r.steps) keep.add(s.key);
    for (const o of r.outputs) keep.add(o.key);
  }
  return keep;
}

export async function cacheGc(opts: Common & { olderThanDays: number; all: boolean; dryRun: boolean }): Promise<void> {
  if (!Number.isFinite(opts.olderThanDays) || opts.olderThanDays < 0) throw new UsageError('--older-than needs a number of days, e.g. 14');
  const store = CacheStore.open(resolveCacheDir(opts.cacheDir));
  store.clearStale();
  const keep = referencedKeys(store);
  const limit = Date.now() - opts.olderThanDays * 86400_000;
  const doomed = store.list().filter((e) => !keep.has(e.key) && (opts.all || e.lastUsed.getTime() < limit));
  report(store, doomed, opts);
}

export async function cacheRm(opts: Common & { keys: string[]; all: boolean }): Promise<void> {
  const store = CacheStore.open(resolveCacheDir(opts.cacheDir));
  if (!opts.all && opts.keys.length === 0) throw new UsageError('name the keys to remove, or --all', { hint: 'see the keys with `golden cache list`' });
  const entries = store.list();
  let doomed: CacheEntry[];
  if (opts.all) doomed = entries;
  else {
    doomed = [];
    for (const k of opts.keys) {
      const hits = entries.filter((e) => e.key.startsWith(k));
      if (hits.length === 0) throw new UsageError(`no cache entry has a key starting with ${k}`, { hint: 'see the keys with `golden cache list`' });
      if (hits.length > 1 && hits.some((h) => h.kind !== hits[0]!.kind || h.key !== hits[0]!.key)) throw new UsageError(`${k} matches ${hits.length} entries`, { hint: 'give more characters of the key' });
      doomed.push(...hits);
    }
  }
  report(store, doomed, { ...opts, dryRun: false });
  if (opts.all) {
    for (const sub of ['debs', 'apt-lists', 'records']) rmSync(join(store.dir, sub), { recursive: true, force: true });
    CacheStore.open(store.dir);
  }
}

function report(store: CacheStore, doomed: CacheEntry[], opts: Common & { dryRun: boolean }): void {
  let bytes = 0;
  for (const e of doomed) {
    bytes += e.bytes;
    if (!opts.dryRun) store.remove(e);
    if (!opts.json) log.info(`${opts.dryRun ? 'would remove' : 'removed'} ${e.key.slice(0, 12)} ${e.step} ${formatBytes(e.bytes)}`);
  }
  if (opts.json) process.stdout.write(`${JSON.stringify({ removed: doomed.map((e) => ({ key: e.key, step: e.step, bytes: e.bytes })), bytes, dryRun: opts.dryRun })}\n`);
  else log.info(`${opts.dryRun ? 'would free' : 'freed'} ${formatBytes(bytes)} (${doomed.length} entries)`);
}
