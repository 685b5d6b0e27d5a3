// YAML files read into a tree that remembers where every value came from (file, line, column), so that
// any later error, even after includes and features are merged, can point at the exact spot.
import { readFile } from 'node:fs/promises';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { InputError, type SourceLocation } from '../errors.js';

export interface Loc {
  file: string;
  line: number;
  column: number;
}

export interface MapEntry {
  keyLoc: Loc;
  value: CNode;
}
export type CNode =
  | { kind: 'map'; loc: Loc; entries: Map<string, MapEntry> }
  | { kind: 'seq'; loc: Loc; items: CNode[] }
  | { kind: 'scalar'; loc: Loc; value: unknown };

/** A path inside a config document: keys and list indices. */
export type FieldPath = readonly (string | number)[];

/** `outputs[0].type`, the way errors name a field. */
export function formatFieldPath(path: FieldPath): string {
  let s = '';
  for (const p of path) {
    if (typeof p === 'number') s += `[${p}]`;
    else s += s === '' ? p : `.${p}`;
  }
  return s;
}

export function toSourceLocation(loc: Loc, path?: FieldPath): SourceLocation {
  const out: SourceLocation = { file: loc.file, line: loc.line, column: loc.column };
  if (path && path.length > 0) out.field = formatFieldPath(path);
  return out;
}

/** Read and parse one YAML file. Syntax errors are all reported, each as an InputError. */
export async function readYamlFile(file: string, errors: InputError[], referencedBy?: { loc: Loc; path: FieldPath }): Promise<CNode | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory, not a YAML file' : `cannot be read (${code ?? String(e)})`;
    if (referencedBy) {
      errors.push(new InputError(toSourceLocation(referencedBy.loc, referencedBy.path), `${file} ${why}`, { hint: 'fix the path; relative paths are resolved against the directory of the file that names them' }));
    } else {
      errors.push(new InputError({ file }, `the configuration file ${why}`, { hint: 'give the path of a golden.yaml, or create one with `golden init`' }));
    }
    return undefined;
  }
  return parseYamlText(text, file, errors);
}

export function parseYamlText(text: string, file: string, errors: InputError[]): CNode | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: true, prettyErrors: false, uniqueKeys: true, merge: true });
  const at = (offset: number | undefined): Loc => {
    const pos = lineCounter.linePos(offset ?? 0);
    return { file, line: pos.line, column: pos.col };
  };
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const loc = at(e.pos[0]);
      const msg = e.message.split('\n')[0] ?? e.message;
      errors.push(new InputError({ file, line: loc.line, column: loc.column }, `YAML syntax error: ${msg.replace(/ at line \d+, column \d+:?$/, '')}`, { hint: yamlHint(e.code) }));
    }
    return undefined;
  }
  if (doc.contents === null) return { kind: 'map', loc: at(0), entries: new Map() };
  return convert(doc, doc.contents as YamlNode, at, errors);
}

function yamlHint(code: string): string {
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'each key may appear once per mapping; merge the two entries';
    case 'TAB_AS_INDENT':
      return 'indent with spaces, not tabs';
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
      return 'check the indentation and that every "key: value" has a space after the colon';
    default:
      return 'check the YAML syntax at that line; quote values that contain ": " or start with a special character';
  }
}

function convert(doc: Document, node: YamlNode, at: (o: number | undefined) => Loc, errors: InputError[]): CNode {
  if (isAlias(node)) {
    const target = node.resolve(doc);
    return target ? convert(doc, target as YamlNode, at, errors) : { kind: 'scalar', loc: at(node.range?.[0]), value: null };
  }
  const loc = at(node.range?.[0]);
  if (isMap(node)) {
    const entries = new Map<string, MapEntry>();
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as YamlNode | null;
      const key = keyNode && isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const keyLoc = at(keyNode?.range?.[0]);
      const value: CNode = pair.value
        ? convert(doc, pair.value as YamlNode, at, errors)
        : { kind: 'scalar', loc: keyLoc, value: null };
      entries.set(key, { keyLoc, value });
    }
    return { kind: 'map', loc, entries };
  }
  if (isSeq(node)) {
    return { kind: 'seq', loc, items: node.items.map((item) => convert(doc, item as YamlNode, at, errors)) };
  }
  if (isScalar(node)) return { kind: 'scalar', loc, value: node.value };
  return { kind: 'scalar', loc, value: null };
}

/** A plain JavaScript value of a tree, for schema validation. */
export function toPlain(node: CNode): unknown {
  switch (node.kind) {
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [k, e] of node.entries) out[k] = toPlain(e.value);
      return out;
    }
    case 'seq':
      return node.items.map(toPlain);
    case 'scalar':
      return node.value;
  }
}

/** A tree from a plain value (for values Golden derives itself), all placed at one location. */
export function fromPlain(value: unknown, loc: Loc): CNode {
  if (Array.isArray(value)) return { kind: 'seq', loc, items: value.map((v) => fromPlain(v, loc)) };
  if (value !== null && typeof value === 'object') {
    const entries = new Map<string, MapEntry>();
    for (const [k, v] of Object.entries(value)) entries.set(k, { keyLoc: loc, value: fromPlain(v, loc) });
    return { kind: 'map', loc, entries };
  }
  return { kind: 'scalar', loc, value };
}

/**
 * Where a field is: the deepest node along the path. `key: true` gives the location of the key itself
 * (for unknown keys), otherwise of its value.
 */
export function locate(root: CNode, path: FieldPath, opts: { key?: boolean } = {}): Loc {
  let node = root;
  let loc = root.loc;
  for (const seg of path) {
    if (node.kind === 'map' && typeof seg === 'string') {
      const e = node.entries.get(seg);
      if (!e) return loc;
      loc = opts.key && seg === path[path.length - 1] ? e.keyLoc : e.value.loc;
      node = e.value;
    } else if (node.kind === 'seq' && typeof seg === 'number') {
      const item = node.items[seg];
      if (!item) return loc;
      node = item;
      loc = item.loc;
    } else {
      return loc;
    }
  }
  return loc;
}

export function getNode(root: CNode, path: FieldPath): CNode | undefined {
  let node: CNode | undefined = root;
  for (const seg of path) {
    if (!node) return undefined;
    if (node.kind === 'map' && typeof seg === 'string') node = node.entries.get(seg)?.value;
    else if (node.kind === 'seq' && typeof seg === 'number') node = node.items[seg];
    else return undefined;
  }
  return node;
}
