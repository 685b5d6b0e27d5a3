// `golden repo metapackage`: (re)build a metapackage from a dependency list and add it. The version is
// 1.N with N bumped only when what the package says (dependencies, description, maintainer) changes,
// so deployed machines see a changed list as an upgrade and an unchanged list costs nothing.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { type Archive, type ArchiveState, getDist } from './archive.js';
import { buildMetapackage, normaliseRelations } from './metapackage.js';
import { addFiles } from './ops.js';
import { compareVersions } from './version.js';

export interface MetapackageRequest {
  depends?: string[] | undefined;
  recommends?: string[] | undefined;
  fromFile?: string | undefined;
  description?: string | undefined;
  maintainer?: string | undefined;
  component?: string | undefined;
}

/** One relation per line; blank lines and '#' comments ignored; commas allowed too. */
export function readDependencyList(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read dependency list ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}

export async function addMetapackage(a: Archive, state: ArchiveState, distName: string, name: string, req: MetapackageRequest): Promise<{ changed: boolean; result: { name: string; version: string; changed: boolean } }> {
  const dist = getDist(state, distName);
  const depends = normaliseRelations([...(req.depends ?? []), ...(req.fromFile ? readDependencyList(req.fromFile) : [])], 'Depends');
  const recommends = normaliseRelations(req.recommends, 'Recommends');
  const digest = createHash('sha256').update(JSON.stringify({ depends, recommends, d: req.description ?? null, m: req.maintainer ?? null })).digest('hex');
  const prev = dist.metapackages[name];
  const present = dist.packages.filter((p) => p.name === name);
  if (prev && prev.digest === digest && present.length > 0) {
    const newest = present.map((p) => p.version).sort(compareVersions).pop()!;
    return { changed: false, result: { name, version: newest, changed: false } };
  }
  let serial = (prev?.serial ?? 0) + 1;
  while (present.some((p) => compareVersions(p.version, `1.${serial}`) >= 0)) serial++;
  const version = `1.${serial}`;
  const deb = await buildMetapackage({ name, version, depends, recommends, description: req.description, maintainer: req.maintainer });
  const dir = mkdtempSync(join(tmpdir(), 'golden-meta-'));
  try {
    const path = join(dir, `${name}_${version}_all.deb`);
    writeFileSync(path, deb);
    const added = await addFiles(a, state, distName, [path], { component: req.component });
    if (!added.changed) throw new UserError(`${name} ${version} could not be added to ${distName}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  dist.metapackages[name] = { serial, digest };
  return { changed: true, result: { name, version, changed: true } };
}
