// `golden plan`: each layer and output, its key, whether the cache has it and, when not, what changed
// since the last build of this config (compared input by input).
import { CacheStore, resolveCacheDir } from '../cache/store.js';
import { loadConfig } from '../config/load.js';
import { log } from '../log/logger.js';
import { makePlan } from '../plan/plan.js';
import { explainChange, readRecord } from './record.js';

export interface PlanRow {
  kind: 'layer' | 'output';
  name: string;
  key: string;
  cached: boolean;
  reasons: string[];
}

export async function plan(opts: { configPath: string; cacheDir?: string; json: boolean }): Promise<number> {
  const loaded = await loadConfig(opts.configPath);
  const store = CacheStore.open(resolveCacheDir(opts.cacheDir));
  const p = await makePlan(loaded, { checkTools: false });
  const record = readRecord(store, p.configId);
  const rows: PlanRow[] = [];
  let belowRebuilt = false;
  for (const s of p.steps) {
    const cached = store.lookup('layer', s.key) !== undefined;
    let reasons: string[] = [];
    if (!cached) {
      const before = record?.steps.find((r) => r.name === s.name);
      if (!before) reasons = ['never built for this config'];
      else if (before.key === s.key) reasons = ['built before, but removed from the cache'];
      else {
        reasons = explainChange(before.inputs, s.inputs);
        if (belowRebuilt && reasons.length === 1 && reasons[0] === 'a layer below changed') reasons = [`the ${rows[rows.length - 1]!.name} layer below is rebuilt`];
      }
      belowRebuilt = true;
    }
    rows.push({ kind: 'layer', name: s.name, key: s.key, cached, reasons });
  }
  for (const o of p.outputs) {
    const cached = store.lookup('output', o.key) !== undefined;
    rows.push({ kind: 'output', name: o.entry.type, key: o.key, cached, reasons: cached ? [] : belowRebuilt ? ['the layers changed'] : ['not built yet with these settings'] });
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ config: loaded.configPath, steps: rows }, null, 2)}\n`);
    return 0;
  }
  const c = log.colors;
  log.info(`plan for ${loaded.configPath}${record ? c.dim(` (last built ${record.finished})`) : ''}`);
  for (const r of rows) {
    const state = r.cached ? c.cyan('cached') : c.yellow(r.kind === 'layer' ? 'build ' : 'make  ');
    log.info(`  ${state} ${r.kind === 'output' ? `output ${r.name}`.padEnd(16) : r.name.padEnd(16)} ${c.dim(r.key.slice(0, 12))}`);
    for (const why of r.reasons) log.info(`           ${c.dim('·')} ${why}`);
  }
  return 0;
}
