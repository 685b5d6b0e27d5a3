// Which config fields name files on the build machine. Relative paths are resolved against the directory
// of the file that wrote them (before fragments are merged, so an include in another directory resolves
// against itself), and every input file is checked to exist before anything runs.
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { toSourceLocation, type CNode, type FieldPath, type MapEntry } from './yaml-source.js';

type Want = 'file' | 'dir' | 'any' | 'output' | 'feature';
interface PathField {
  /** Keys; '*' is any list index, '<key>' is every key of a map (the key itself is the path). */
  pattern: readonly string[];
  want: Want;
}

const PATH_FIELDS: readonly PathField[] = [
  { pattern: ['include', '*'], want: 'file' },
  { pattern: ['files', '*', 'source'], want: 'file' },
  { pattern: ['packages', 'lists', '*'], want: 'file' },
  { pattern: ['scripts', 'postCustomization', '*', 'path'], want: 'file' },
  { pattern: ['scripts', 'finalize', '*', 'path'], want: 'file' },
  { pattern: ['repositories', '*', 'golden'], want: 'dir' },
  { pattern: ['repositories', '*', 'key'], want: 'file' },
  { pattern: ['distribution', 'keyring'], want: 'file' },
  { pattern: ['base', 'rootfs'], want: 'file' },
  { pattern: ['base', 'image'], want: 'file' },
  { pattern: ['iso', 'additionalFiles', '<key>'], want: 'any' },
  { pattern: ['iso', 'additionalFiles', '*', 'source'], want: 'any' },
  { pattern: ['iso', 'pool', 'lists', '*'], want: 'file' },
  { pattern: ['cloudInit', 'userData'], want: 'file' },
  { pattern: ['cloudInit', 'metaData'], want: 'file' },
  { pattern: ['cloudInit', 'networkConfig'], want: 'file' },
  { pattern: ['installer', 'encryption', 'passphrase', 'file'], want: 'file' },
  { pattern: ['outputs', '*', 'path'], want: 'output' },
  { pattern: ['features', '*'], want: 'feature' },
  { pattern: ['features', '*', 'name'], want: 'feature' },
];

/** A feature reference is a path (not a built-in name) when it looks like one. */
export function looksLikePath(ref: string): boolean {
  return ref.startsWith('.') || ref.startsWith('/') || ref.startsWith('~') || ref.includes('/');
}

export function resolveAgainst(baseDir: string, p: string): string {
  if (p === '~' || p.startsWith('~/')) return resolve(homedir(), p.slice(2));
  return isAbsolute(p) ? resolve(p) : resolve(baseDir, p);
}

type Visit = (node: Extract<CNode, { kind: 'scalar' }>, path: FieldPath, field: PathField) => void;

function walk(node: CNode, pattern: readonly string[], path: (string | number)[], field: PathField, visit: Visit): void {
  if (pattern.length === 0) {
    if (node.kind === 'scalar' && typeof node.value === 'string') visit(node, path, field);
    return;
  }
  const [head, ...rest] = pattern as [string, ...string[]];
  if (head === '*') {
    if (node.kind === 'seq') node.items.forEach((item, i) => walk(item, rest, [...path, i], field, visit));
  } else if (head === '<key>') {
    if (node.kind !== 'map') return;
    const renamed = new Map<string, MapEntry>();
    for (const [k, e] of node.entries) {
      const keyNode = { kind: 'scalar' as const, loc: e.keyLoc, value: k as unknown };
      visit(keyNode, [...path, k], field);
      renamed.set(String(keyNode.value), e);
    }
    node.entries = renamed;
  } else if (node.kind === 'map') {
    const e = node.entries.get(head);
    if (e) walk(e.value, rest, [...path, head], field, visit);
  }
}

function visitPathFields(root: CNode, visit: Visit): void {
  for (const field of PATH_FIELDS) walk(root, field.pattern, [], field, visit);
}

/** Make every path field of one file's tree absolute, relative to that file's directory (in place). */
export function resolveRelativePaths(root: CNode, file: string): void {
  const baseDir = dirname(file);
  visitPathFields(root, (node, _path, field) => {
    const v = node.value as string;
    if (field.want === 'feature' && !looksLikePath(v)) return;
    node.value = resolveAgainst(baseDir, v);
  });
}

/**
 * Check that every input file the (merged) tree names exists and is of the right kind; return their
 * absolute paths in a stable order. Features and includes are checked by their own loaders.
 */
export async function checkReferencedFiles(root: CNode, errors: InputError[]): Promise<string[]> {
  const found: { path: string; node: Extract<CNode, { kind: 'scalar' }>; field: FieldPath; want: Want }[] = [];
  visitPathFields(root, (node, path, field) => {
    if (field.want === 'output' || field.want === 'feature' || path[0] === 'include') return;
    found.push({ path: node.value as string, node, field: path, want: field.want });
  });
  const out: string[] = [];
  await Promise.all(
    found.map(async (f) => {
      let kind: 'file' | 'dir' | undefined;
      try {
        const st = await stat(f.path);
        kind = st.isDirectory() ? 'dir' : 'file';
      } catch {
        kind = undefined;
      }
      const loc = toSourceLocation(f.node.loc, f.field);
      if (kind === undefined) {
        errors.push(new InputError(loc, `${f.path} does not exist`, { hint: 'fix the path; relative paths are resolved against the directory of the file that names them' }));
      } else if (f.want === 'file' && kind === 'dir') {
        errors.push(new InputError(loc, `${f.path} is a directory, but a file is needed here`, { hint: 'name a file' }));
      } else if (f.want === 'dir' && kind === 'file') {
        errors.push(new InputError(loc, `${f.path} is a file, but a directory is needed here`, { hint: 'name the directory (for a Golden archive: the directory `golden init` made)' }));
      }
    }),
  );
  for (const f of found) if (!out.includes(f.path)) out.push(f.path);
  return out;
}
