// loadConfig(): golden.yaml → a checked GoldenConfig. Order: read the file and its includes (each path made
// absolute against the file that wrote it), merge includes before the including file, merge features
// before all of that, apply overrides, validate against the schema, check that every named file exists,
// check cross-references, then derive what follows from the config (mirror from the host, unattended-
// upgrades files). Every mistake found on the way is reported together, each with file:line:column.
import { dirname, resolve } from 'node:path';
import { InputError, type SourceLocation } from '../errors.js';
import { throwIfAny } from './config-errors.js';
import { checkCrossReferences } from './cross-checks.js';
import { deriveConfig } from './derive.js';
import { loadFeatures, type AppliedFeature } from './features.js';
import { issuesToErrors } from './issues.js';
import { mergeAll, mergeNodes } from './merge.js';
import { checkReferencedFiles, resolveRelativePaths } from './paths.js';
import { goldenConfigSchema, type GoldenConfig } from './schema.js';
import { fromPlain, getNode, locate, readYamlFile, toPlain, toSourceLocation, type CNode, type FieldPath, type Loc } from './yaml-source.js';

export interface LoadOptions {
  /**
   * Values that replace what the files say, by dotted field path: { 'distribution.mirror': 'http://…' }.
   * Applied after includes and features; paths in them are taken as given (make them absolute).
   */
  overrides?: Record<string, unknown>;
  /** Where the host's apt configuration lives (tests); default /etc/apt. */
  etcApt?: string;
}

export interface ConfigSources {
  /** The place in the files that set a field, e.g. locate('outputs[0].type'). */
  locate(field: string | FieldPath): SourceLocation;
}

export interface LoadedConfig {
  /** Parsed: defaults applied, includes and features merged, every path absolute. */
  config: GoldenConfig;
  /** Absolute path of the config file. */
  configPath: string;
  /** Its directory: the default place for outputs. */
  baseDir: string;
  /**
   * Absolute paths of every input the config names: includes, feature.yaml files, files[].source, package
   * lists, scripts, repository keys and Golden archive directories, keyring, base rootfs/image,
   * iso.additionalFiles sources, iso.pool lists, cloud-init documents, passphrase file. Sorted.
   */
  referencedFiles: string[];
  /** Features applied, dependencies first. */
  features: AppliedFeature[];
  sources: ConfigSources;
}

export async function loadConfig(path: string, options: LoadOptions = {}): Promise<LoadedConfig> {
  const configPath = resolve(path);
  const errors: InputError[] = [];
  const includes: string[] = [];
  const main = await loadWithIncludes(configPath, [], errors, includes);
  // Without the main file there is nothing more to check; a broken include still lets the rest be checked.
  if (!main) throwIfAny(errors);
  if (!main) throw new InputError({ file: configPath }, 'could not be read');

  const features = await loadFeatures(main, errors);
  let tree = mergeNodes(mergeAll(features.map((f) => f.fragment), main.loc), main);
  if (tree.kind === 'map' && features.length > 0) {
    const list = fromPlain(features.map((f) => (Object.keys(f.params).length ? { name: f.name, with: f.params } : f.name)), tree.entries.get('features')?.value.loc ?? main.loc);
    tree.entries.set('features', { keyLoc: tree.entries.get('features')?.keyLoc ?? main.loc, value: list });
  }
  if (options.overrides) tree = applyOverrides(tree, options.overrides);

  const data = toPlain(tree);
  const parsed = goldenConfigSchema.safeParse(data);
  if (!parsed.success) errors.push(...issuesToErrors(parsed.error.issues, goldenConfigSchema, data, tree));
  const files = await checkReferencedFiles(tree, errors);
  const sources = sourcesOf(tree);
  if (parsed.success) errors.push(...checkCrossReferences(parsed.data, sources));
  throwIfAny(errors);
  const config = deriveConfig(parsed.data!, options.etcApt === undefined ? {} : { etcApt: options.etcApt });

  const referencedFiles = [...new Set([...includes, ...features.map((f) => f.file), ...files])].sort();
  return { config, configPath, baseDir: dirname(configPath), referencedFiles, features, sources };
}

/** One file with its includes merged before it (depth first, in order). `chain` detects cycles. */
async function loadWithIncludes(file: string, chain: readonly { file: string; loc: Loc; path: FieldPath }[], errors: InputError[], seen: string[]): Promise<CNode | undefined> {
  const by = chain[chain.length - 1];
  const node = await readYamlFile(file, errors, by ? { loc: by.loc, path: by.path } : undefined);
  if (!node) return undefined;
  if (node.kind !== 'map') {
    errors.push(new InputError(toSourceLocation(node.loc), 'a Golden configuration must be a mapping of keys (name:, distribution:, …)', { hint: 'start from the commented template: `golden init`' }));
    return undefined;
  }
  resolveRelativePaths(node, file);
  const list = node.entries.get('include')?.value;
  if (!list) return node;
  if (list.kind !== 'seq') return node; // the schema reports the wrong type with its location
  const parts: CNode[] = [];
  for (const [i, item] of list.items.entries()) {
    if (item.kind !== 'scalar' || typeof item.value !== 'string') continue;
    const target = item.value;
    const here = { file, loc: item.loc, path: ['include', i] as FieldPath };
    if (target === file || chain.some((c) => c.file === target)) {
      const cycle = [...chain.map((c) => c.file), file, target].join(' → ');
      errors.push(new InputError(toSourceLocation(item.loc, here.path), `include cycle: ${cycle}`, { hint: 'a file must not include itself, directly or through other includes' }));
      continue;
    }
    seen.push(target);
    const sub = await loadWithIncludes(target, [...chain, here], errors, seen);
    if (sub) parts.push(sub);
  }
  return mergeNodes(mergeAll(parts, node.loc), node);
}

function parseFieldPath(field: string): FieldPath {
  const out: (string | number)[] = [];
  for (const m of field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}

function sourcesOf(tree: CNode): ConfigSources {
  return {
    locate(field) {
      const path = typeof field === 'string' ? parseFieldPath(field) : field;
      return toSourceLocation(locate(tree, path), path);
    },
  };
}

function applyOverrides(tree: CNode, overrides: Record<string, unknown>): CNode {
  const loc: Loc = { file: '(command line)', line: 1, column: 1 };
  for (const [field, value] of Object.entries(overrides)) {
    const path = parseFieldPath(field);
    const parentPath = path.slice(0, -1);
    const last = path[path.length - 1];
    let parent: CNode | undefined = tree;
    // Create missing maps along the way so an override can set a field the files never mention.
    for (const [i, seg] of parentPath.entries()) {
      let next: CNode | undefined = getNode(parent, [seg]);
      if (!next && parent.kind === 'map' && typeof seg === 'string') {
        next = { kind: 'map', loc, entries: new Map() };
        parent.entries.set(seg, { keyLoc: loc, value: next });
      }
      if (!next) throw new InputError({ file: loc.file, field }, `cannot set ${field}: ${parentPath.slice(0, i + 1).join('.')} is not a mapping or list`);
      parent = next;
    }
    if (last === undefined) continue;
    if (parent.kind === 'map' && typeof last === 'string') parent.entries.set(last, { keyLoc: loc, value: fromPlain(value, loc) });
    else if (parent.kind === 'seq' && typeof last === 'number') parent.items[last] = fromPlain(value, loc);
    else throw new InputError({ file: loc.file, field }, `cannot set ${field}`);
  }
  return tree;
}
