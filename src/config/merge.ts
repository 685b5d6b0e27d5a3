// The one merge rule for include: and features:, the same at every depth:
//   lists append (earlier items first), maps merge key by key, anything else: the later value wins.
// Fragments are merged BEFORE the file that includes them, so the including file always has the last word.
// Merging keeps each value's source location, so errors still point into the fragment that wrote it.
import type { CNode, MapEntry } from './yaml-source.js';

export function mergeNodes(earlier: CNode, later: CNode): CNode {
  if (earlier.kind === 'map' && later.kind === 'map') {
    const entries = new Map<string, MapEntry>(earlier.entries);
    for (const [key, entry] of later.entries) {
      const prev = entries.get(key);
      entries.set(key, prev ? { keyLoc: entry.keyLoc, value: mergeNodes(prev.value, entry.value) } : entry);
    }
    return { kind: 'map', loc: later.loc, entries };
  }
  if (earlier.kind === 'seq' && later.kind === 'seq') {
    return { kind: 'seq', loc: later.loc, items: [...earlier.items, ...later.items] };
  }
  return later;
}

/** Merge fragments in order; an empty list gives an empty map. */
export function mergeAll(nodes: readonly CNode[], emptyLoc: CNode['loc']): CNode {
  let out: CNode = { kind: 'map', loc: emptyLoc, entries: new Map() };
  for (const n of nodes) out = mergeNodes(out, n);
  return out;
}

/** Merge plain values by the same rule (used by tests and by features computed in code). */
export function mergePlain(earlier: unknown, later: unknown): unknown {
  if (isRecord(earlier) && isRecord(later)) {
    const out: Record<string, unknown> = { ...earlier };
    for (const [k, v] of Object.entries(later)) out[k] = k in out ? mergePlain(out[k], v) : v;
    return out;
  }
  if (Array.isArray(earlier) && Array.isArray(later)) return [...earlier, ...later];
  return later;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
