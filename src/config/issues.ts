// Turns schema validation issues into errors a person can act on: where (file:line:column, field path),
// what is wrong, and how to fix it (allowed keys with a "did you mean", allowed values, the field's purpose).
import type { z } from 'zod';
import { InputError } from '../errors.js';
import { locate, toSourceLocation, type CNode, type FieldPath } from './yaml-source.js';

type Schema = z.core.$ZodType;
type Issue = z.core.$ZodIssue;
interface Def {
  type: string;
  innerType?: Schema;
  shape?: Record<string, Schema>;
  element?: Schema;
  options?: Schema[];
  discriminator?: string;
  valueType?: Schema;
  in?: Schema;
}
const defOf = (s: Schema): Def => s._zod.def as unknown as Def;

function descriptionOf(s: Schema): string | undefined {
  return (s as unknown as { description?: string }).description;
}

/** Strip wrappers (optional, default, ...) keeping the first description met on the way. */
function unwrap(s: Schema): { schema: Schema; description: string | undefined } {
  let description = descriptionOf(s);
  let cur = s;
  for (;;) {
    const d = defOf(cur);
    const next = d.type === 'pipe' ? d.in : ['optional', 'default', 'prefault', 'nullable', 'readonly', 'nonoptional', 'catch'].includes(d.type) ? d.innerType : undefined;
    if (!next) return { schema: cur, description };
    cur = next;
    description ??= descriptionOf(cur);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The object branches of a union that fit a value (by discriminator when there is one). */
function objectOptions(s: Schema, data: unknown): Schema[] {
  const d = defOf(s);
  if (d.type === 'object') return [s];
  if (d.type !== 'union' || !d.options) return [];
  const objects = d.options.map((o) => unwrap(o).schema).filter((o) => defOf(o).type === 'object');
  if (d.discriminator && isRecord(data)) {
    const disc = d.discriminator;
    const match = objects.filter((o) => {
      const lit = defOf(o).shape?.[disc];
      const values = lit ? (lit._zod.def as unknown as { values?: unknown[] }).values : undefined;
      return values?.includes(data[disc]);
    });
    if (match.length > 0) return match;
  }
  return objects;
}

/** The schema of the field at `path`, following the data through unions. */
export function schemaAt(root: Schema, data: unknown, path: FieldPath): { schema: Schema; description: string | undefined } | undefined {
  let cur = unwrap(root);
  let value = data;
  for (const seg of path) {
    const d = defOf(cur.schema);
    let next: Schema | undefined;
    if (d.type === 'array' && typeof seg === 'number') next = d.element;
    else if (d.type === 'record') next = d.valueType;
    else if (typeof seg === 'string') {
      if (d.type === 'union' && !isRecord(value) && d.options) {
        const obj = d.options.map((o) => unwrap(o).schema).find((o) => defOf(o).type === 'object');
        next = obj ? defOf(obj).shape?.[seg] : undefined;
      } else {
        next = objectOptions(cur.schema, value).map((o) => defOf(o).shape?.[seg]).find((x) => x !== undefined);
      }
    } else if (d.type === 'union' && d.options) {
      next = d.options.map((o) => unwrap(o).schema).find((o) => defOf(o).type === 'array');
      if (next) next = defOf(next).element;
    }
    if (!next) return undefined;
    cur = unwrap(next);
    value = isRecord(value) || Array.isArray(value) ? (value as Record<string | number, unknown>)[seg] : undefined;
  }
  return cur;
}

/** The keys allowed at `path` (all branches of a union of objects). */
export function allowedKeysAt(root: Schema, data: unknown, path: FieldPath): string[] {
  const at = schemaAt(root, data, path);
  if (!at) return [];
  const keys = new Set<string>();
  for (const o of objectOptions(at.schema, valueAt(data, path))) for (const k of Object.keys(defOf(o).shape ?? {})) keys.add(k);
  return [...keys];
}

export function valueAt(data: unknown, path: FieldPath): unknown {
  let v = data;
  for (const seg of path) {
    if (!isRecord(v) && !Array.isArray(v)) return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

/** Edit distance where swapping two neighbouring letters counts as one edit (the commonest typo). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidate, if it is close enough to be a likely typo. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDist) [best, bestDist] = [c, d];
  }
  return best !== undefined && bestDist <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null (an empty value)';
  if (typeof v === 'string') return `the string "${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${String(v)}`;
}

const brief = (v: unknown) => (typeof v === 'string' ? `"${v}"` : show(v));
const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);
const NAMES: Record<string, string> = { object: 'mapping (key: value lines)', array: 'list', string: 'string', number: 'number', boolean: 'boolean (true or false)' };

interface Ctx {
  schema: Schema;
  data: unknown;
  tree: CNode;
  out: InputError[];
  /** Inside a union: the union's own description, for issues of its branches that have none. */
  fallbackHint?: string | undefined;
}

/** Convert the issues of a failed parse into located InputErrors. */
export function issuesToErrors(issues: readonly Issue[], schema: Schema, data: unknown, tree: CNode): InputError[] {
  const ctx: Ctx = { schema, data, tree, out: [] };
  for (const issue of issues) convertIssue(ctx, issue, []);
  return ctx.out;
}

function push(ctx: Ctx, path: FieldPath, message: string, hint: string | undefined, key = false): void {
  const loc = locate(ctx.tree, path, { key });
  const h = hint !== undefined && ctx.fallbackHint !== undefined && !hint.includes(ctx.fallbackHint) ? `${hint}; ${ctx.fallbackHint}` : (hint ?? ctx.fallbackHint);
  ctx.out.push(new InputError(toSourceLocation(loc, path), message, h === undefined ? {} : { hint: h }));
}

function purpose(ctx: Ctx, path: FieldPath): string | undefined {
  const d = schemaAt(ctx.schema, ctx.data, path)?.description;
  const key = [...path].reverse().find((p): p is string => typeof p === 'string');
  return d ? `${key ?? 'this entry'}: ${d}` : undefined;
}

function convertIssue(ctx: Ctx, issue: Issue, prefix: FieldPath): void {
  const path = [...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))] as (string | number)[];
  const value = valueAt(ctx.data, path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeysAt(ctx.schema, ctx.data, path);
      for (const k of issue.keys) {
        const s = suggest(k, allowed);
        push(ctx, [...path, k], `unknown key "${k}"${s ? `; did you mean "${s}"?` : ''}`, allowed.length ? `keys allowed here: ${allowed.join(', ')}` : undefined, true);
      }
      return;
    }
    case 'invalid_type': {
      if (value === undefined) {
        const key = path[path.length - 1];
        push(ctx, path, `"${String(key)}" is required here`, purpose(ctx, path), true);
        return;
      }
      const expected = NAMES[issue.expected] ?? issue.expected;
      let hint = purpose(ctx, path);
      if (value === null) {
        hint = `the key has no value: give one (${expected}), or remove the key to get the default`;
      } else if (issue.expected === 'string' && (typeof value === 'number' || typeof value === 'boolean')) {
        hint = path[path.length - 1] === 'mode' ? 'quote file modes: mode: "0644" (YAML reads 0644 unquoted as the number 644)' : `put it in quotes: "${String(value)}"`;
      }
      push(ctx, path, `expected ${article(expected)}, found ${show(value)}`, hint);
      return;
    }
    case 'invalid_value': {
      const allowed = issue.values.map(String);
      const s = typeof value === 'string' ? suggest(value, allowed) : undefined;
      push(ctx, path, `${brief(value)} is not allowed here${s ? `; did you mean "${s}"?` : ''}`, `use one of: ${allowed.join(', ')}`);
      return;
    }
    case 'invalid_union': {
      const u = issue as Issue & { note?: string; discriminator?: string; options?: unknown[] };
      if (u.discriminator !== undefined && u.options) {
        const allowed = u.options.map(String);
        const s = typeof value === 'string' ? suggest(value, allowed) : undefined;
        const what = value === undefined ? `"${u.discriminator}" is required here` : `unknown ${u.discriminator} ${brief(value)}${s ? `; did you mean "${s}"?` : ''}`;
        push(ctx, path, what, `use one of: ${allowed.join(', ')}`, value === undefined);
        return;
      }
      convertUnion(ctx, issue as Issue & { errors: Issue[][] }, path);
      return;
    }
    case 'invalid_format':
    case 'too_small':
    case 'too_big':
    case 'not_multiple_of':
    case 'custom':
    default: {
      const msg = issue.code === 'invalid_format' && issue.format === 'url' ? 'expected a URL such as http://host/path' : issue.message;
      push(ctx, path, `${msg} (found ${show(value)})`, purpose(ctx, path));
    }
  }
}

/** The branch wants another kind of value altogether (a word where a mapping was given, or the reverse). */
function rootKindMismatch(e: Issue, value: unknown): boolean {
  if (e.path.length !== 0) return false;
  if (e.code === 'invalid_type') return true;
  return e.code === 'invalid_value' && value !== null && typeof value === 'object';
}

/** A value matched none of a union's forms: report the form it came closest to. */
function convertUnion(ctx: Ctx, issue: Issue & { errors: Issue[][] }, path: FieldPath): void {
  const scored = issue.errors.map((errs) => ({
    errs,
    // A branch whose very type is wrong is a poor guess; missing keys suggest the user meant another form.
    score: errs.reduce((n, e) => n + (rootKindMismatch(e, valueAt(ctx.data, path)) ? 10 : e.code === 'unrecognized_keys' ? e.keys.length * 2 : 1), 0),
  }));
  scored.sort((a, b) => a.score - b.score);
  const best = scored[0];
  const hint = purpose(ctx, path);
  if (!best) {
    push(ctx, path, `${show(valueAt(ctx.data, path))} is not valid here`, hint);
    return;
  }
  const tied = scored.filter((s) => s.score === best.score);
  const missingOnly = tied.length > 1 && tied.every((s) => s.errs.every((e) => e.code === 'invalid_type' && e.path.length === 1 && valueAt(ctx.data, [...path, ...e.path.map(String)]) === undefined));
  if (missingOnly) {
    const keys = tied.map((s) => `"${String(s.errs[0]!.path[0])}"`);
    push(ctx, path, `needs one of ${keys.join(' or ')}`, hint);
    return;
  }
  const outer = ctx.fallbackHint;
  ctx.fallbackHint = hint ?? outer;
  for (const e of best.errs) convertIssue(ctx, e, path);
  ctx.fallbackHint = outer;
}
