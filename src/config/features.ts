// Features: reusable config fragments. A feature is a directory holding `feature.yaml`:
//   description: what it does
//   parameters: { NAME: { default: VALUE, description: ... } }   # optional; used as ${NAME} in strings
//   config: { ...any golden.yaml keys... }                         # merged like an include
// plus any files its config names (paths relative to the directory). Built-in features live in
// src/features/<name>/; a config may also name a local feature directory by path. A feature's own
// `features:` are its dependencies and are applied before it. Features resolve to ordinary config.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors.js';
import { suggest } from './issues.js';
import { looksLikePath, resolveRelativePaths } from './paths.js';
import { readYamlFile, toPlain, toSourceLocation, type CNode, type FieldPath, type Loc } from './yaml-source.js';

/** Where the built-in features are: the source tree, next to the compiled code's tree. */
export const BUILTIN_FEATURES_DIR = fileURLToPath(new URL('../../../src/features/', import.meta.url));

export function builtinFeatureNames(): string[] {
  if (!existsSync(BUILTIN_FEATURES_DIR)) return [];
  return readdirSync(BUILTIN_FEATURES_DIR)
    .filter((n) => existsSync(join(BUILTIN_FEATURES_DIR, n, 'feature.yaml')))
    .sort();
}

export interface AppliedFeature {
  /** Built-in name, or absolute directory of a local feature. */
  name: string;
  dir: string;
  params: Record<string, string | number | boolean>;
  /** The feature's config fragment, paths absolute and parameters substituted. */
  fragment: CNode;
  /** feature.yaml itself (a referenced file: a change to it changes the image). */
  file: string;
}

interface Ref {
  name: string;
  params: Record<string, unknown>;
  loc: Loc;
  path: FieldPath;
}

function refsOf(root: CNode, errors: InputError[]): Ref[] {
  const list = root.kind === 'map' ? root.entries.get('features')?.value : undefined;
  if (!list) return [];
  if (list.kind !== 'seq') {
    errors.push(new InputError(toSourceLocation(list.loc, ['features']), 'expected a list of features', { hint: 'write features as a list: "features: [ssh-server, growroot]"' }));
    return [];
  }
  const refs: Ref[] = [];
  list.items.forEach((item, i) => {
    const path = ['features', i];
    if (item.kind === 'scalar' && typeof item.value === 'string') refs.push({ name: item.value, params: {}, loc: item.loc, path });
    else if (item.kind === 'map') {
      const name = item.entries.get('name')?.value;
      const withNode = item.entries.get('with')?.value;
      // Shape mistakes ({name} missing, unknown keys) are reported by the schema check later.
      if (name?.kind === 'scalar' && typeof name.value === 'string') {
        const params = withNode ? toPlain(withNode) : {};
        refs.push({ name: name.value, params: params !== null && typeof params === 'object' ? (params as Record<string, unknown>) : {}, loc: name.loc, path: [...path, 'name'] });
      }
    }
  });
  return refs;
}

/** Load every feature the tree names, dependencies first, each once per (feature, parameters). */
export async function loadFeatures(root: CNode, errors: InputError[]): Promise<AppliedFeature[]> {
  const applied: AppliedFeature[] = [];
  const seen = new Set<string>();
  const stack: string[] = [];
  const visit = async (ref: Ref): Promise<void> => {
    const dir = locateFeature(ref, errors);
    if (!dir) return;
    const key = `${dir}\0${JSON.stringify(ref.params)}`;
    if (seen.has(key)) return;
    if (stack.includes(dir)) {
      errors.push(new InputError(toSourceLocation(ref.loc, ref.path), `feature "${ref.name}" depends on itself (${[...stack, dir].join(' → ')})`, { hint: 'remove one of the features: entries that form the cycle' }));
      return;
    }
    stack.push(dir);
    const feature = await readFeature(dir, ref, errors);
    if (feature) {
      for (const dep of refsOf(feature.fragment, errors)) await visit(dep);
      if (feature.fragment.kind === 'map') feature.fragment.entries.delete('features');
      applied.push(feature);
      seen.add(key);
    }
    stack.pop();
  };
  for (const ref of refsOf(root, errors)) await visit(ref);
  return applied;
}

function locateFeature(ref: Ref, errors: InputError[]): string | undefined {
  const where = toSourceLocation(ref.loc, ref.path);
  if (looksLikePath(ref.name)) {
    // Already absolute: paths were resolved against the file that named the feature.
    const ok = existsSync(ref.name) && statSync(ref.name).isDirectory();
    if (ok && existsSync(join(ref.name, 'feature.yaml'))) return ref.name;
    errors.push(new InputError(where, ok ? `${ref.name} has no feature.yaml` : `feature directory ${ref.name} does not exist`, { hint: 'a local feature is a directory holding feature.yaml (description, parameters, config) and the files it names' }));
    return undefined;
  }
  const names = builtinFeatureNames();
  if (names.includes(ref.name)) return join(BUILTIN_FEATURES_DIR, ref.name);
  const s = suggest(ref.name, names);
  errors.push(new InputError(where, `unknown feature "${ref.name}"${s ? `; did you mean "${s}"?` : ''}`, { hint: `built-in features: ${names.join(', ')}; or give the path of a feature directory (starting with ./ or /)` }));
  return undefined;
}

async function readFeature(dir: string, ref: Ref, errors: InputError[]): Promise<AppliedFeature | undefined> {
  const file = join(dir, 'feature.yaml');
  const before = errors.length;
  const doc = await readYamlFile(file, errors, { loc: ref.loc, path: ref.path });
  if (!doc || errors.length > before) return undefined;
  if (doc.kind !== 'map') {
    errors.push(new InputError({ file, line: doc.loc.line, column: doc.loc.column }, 'a feature.yaml must be a mapping with description, parameters and config', {}));
    return undefined;
  }
  for (const [k, e] of doc.entries) {
    if (!['description', 'parameters', 'config'].includes(k)) {
      const s = suggest(k, ['description', 'parameters', 'config']);
      errors.push(new InputError(toSourceLocation(e.keyLoc, [k]), `unknown key "${k}" in feature.yaml${s ? `; did you mean "${s}"?` : ''}`, { hint: 'a feature.yaml has description, parameters and config (the golden.yaml fragment)' }));
    }
  }
  const declared = toPlain(doc.entries.get('parameters')?.value ?? { kind: 'map', loc: doc.loc, entries: new Map() });
  const decl = (declared !== null && typeof declared === 'object' ? declared : {}) as Record<string, { default?: unknown }>;
  const params: Record<string, string | number | boolean> = {};
  for (const [k, d] of Object.entries(decl)) {
    const v = d?.default;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') params[k] = v;
  }
  for (const [k, v] of Object.entries(ref.params)) {
    if (!(k in decl)) {
      const s = suggest(k, Object.keys(decl));
      errors.push(new InputError(toSourceLocation(ref.loc, [...ref.path.slice(0, -1), 'with', k]), `feature "${ref.name}" has no parameter "${k}"${s ? `; did you mean "${s}"?` : ''}`, { hint: Object.keys(decl).length ? `its parameters: ${Object.keys(decl).join(', ')}` : 'this feature takes no parameters' }));
    } else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      params[k] = v;
    }
  }
  for (const k of Object.keys(decl)) {
    if (!(k in params)) errors.push(new InputError(toSourceLocation(ref.loc, ref.path), `feature "${ref.name}" needs the parameter "${k}"`, { hint: `write it as {name: ${ref.name}, with: {${k}: VALUE}}` }));
  }
  const inc = doc.entries.get('config')?.value;
  if (inc?.kind === 'map' && inc.entries.has('include')) {
    errors.push(new InputError(toSourceLocation(inc.entries.get('include')!.keyLoc, ['config', 'include']), 'a feature cannot use include:', { hint: 'name other features under config.features (they are applied first), or put the keys in the feature itself' }));
  }
  const fragment = doc.entries.get('config')?.value ?? { kind: 'map', loc: doc.loc, entries: new Map() };
  substitute(fragment, params);
  resolveRelativePaths(fragment, file);
  return { name: ref.name, dir, params, fragment, file };
}

/** Replace ${NAME} in every string of the fragment; a whole-string ${NAME} keeps the parameter's type. */
function substitute(node: CNode, params: Record<string, string | number | boolean>): void {
  if (node.kind === 'map') for (const e of node.entries.values()) substitute(e.value, params);
  else if (node.kind === 'seq') for (const item of node.items) substitute(item, params);
  else if (typeof node.value === 'string') {
    const whole = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(node.value);
    if (whole && whole[1]! in params) {
      node.value = params[whole[1]!];
      return;
    }
    // Only declared parameters are replaced: inline shell in a feature may use ${VAR} of its own.
    node.value = node.value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
  }
}
