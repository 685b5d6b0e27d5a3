// Build records: what the last build of each config used (keys and input manifests), so `golden plan`
// can say why a layer is not cached, and `cache gc` knows which entries the latest builds need.
import { existsSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, type LayerInputs } from '../cache/keys.js';
import type { CacheStore } from '../cache/store.js';
import type { BuildPlan } from '../plan/plan.js';

export interface BuildRecord {
  configPath: string;
  finished: string;
  steps: { name: string; key: string; inputs: LayerInputs; seconds: number; cached: boolean }[];
  outputs: { type: string; key: string; path: string }[];
}

export function writeRecord(store: CacheStore, plan: BuildPlan, timings: Map<string, { seconds: number; cached: boolean }>): void {
  const record: BuildRecord = {
    configPath: plan.loaded.configPath,
    finished: new Date().toISOString(),
    steps: plan.steps.map((s) => ({ name: s.name, key: s.key, inputs: s.inputs, seconds: timings.get(s.name)?.seconds ?? 0, cached: timings.get(s.name)?.cached ?? false })),
    outputs: plan.outputs.map((o) => ({ type: o.entry.type, key: o.key, path: o.path })),
  };
  const path = store.recordPath(plan.configId);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

export function readRecord(store: CacheStore, configId: string): BuildRecord | undefined {
  const path = store.recordPath(configId);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as BuildRecord;
  } catch {
    return undefined;
  }
}

export function allRecords(store: CacheStore): BuildRecord[] {
  const dir = join(store.dir, 'records');
  const out: BuildRecord[] = [];
  for (const f of existsSync(dir) ? readdirSync(dir) : []) {
    if (!f.endsWith('.json')) continue;
    try {
      out.push(JSON.parse(readFileSync(join(dir, f), 'utf8')) as BuildRecord);
    } catch {
      // a damaged record only loses its protection from gc
    }
  }
  return out;
}

/** Human reasons why `now` differs from `before` (empty when equal). */
export function explainChange(before: LayerInputs, now: LayerInputs): string[] {
  const out: string[] = [];
  if (before.formatVersion !== now.formatVersion) out.push(`Golden's ${now.step} step changed (format ${before.formatVersion} → ${now.formatVersion})`);
  const opt = diffValues(before.options, now.options, 'options');
  out.push(...opt.slice(0, 6).map((p) => `${p} changed`));
  if (opt.length > 6) out.push(`… and ${opt.length - 6} more options`);
  const files = new Set([...Object.keys(before.files), ...Object.keys(now.files)]);
  for (const f of [...files].sort()) {
    const a = before.files[f];
    const b = now.files[f];
    if (a === b) continue;
    out.push(a === undefined ? `new input file ${f}` : b === undefined ? `input file ${f} no longer used` : `file ${f} changed`);
  }
  if (out.length === 0 && before.parent !== now.parent) out.push('a layer below changed');
  return out;
}

function diffValues(a: unknown, b: unknown, path: string): string[] {
  if (canonicalJson(a) === canonicalJson(b)) return [];
  const isObj = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(ao), ...Object.keys(bo)])].sort();
    return keys.flatMap((k) => diffValues(ao[k], bo[k], `${path}.${k}`));
  }
  return [path.replace(/^options\./, '')];
}
