// packages.metapackage: the config's package list becomes a metapackage in the company archive, and the
// image installs that one package. A later change of the list gives a new metapackage version, which
// deployed machines receive as an ordinary upgrade. Done before planning, so the packages layer's key
// follows the archive's signed index (a new version → a new key; the same list → the same key).
import { readFileSync } from 'node:fs';
import { isGoldenRepository, type GoldenConfig } from '../config/schema.js';
import { UserError } from '../errors.js';
import { goldenArchiveRoot, resolveGoldenRepository } from '../steps/apt.js';
import { parsePackageList } from '../steps/packages.js';

export interface MetapackageResult {
  name: string;
  version: string;
  changed: boolean;
  distribution: string;
}

export async function publishConfigMetapackage(config: GoldenConfig): Promise<MetapackageResult | undefined> {
  const m = config.packages.metapackage;
  if (!m) return undefined;
  const goldens = config.repositories.filter(isGoldenRepository);
  const repo = m.archive ? goldens.find((r) => r.name === m.archive) : goldens.length === 1 ? goldens[0] : undefined;
  if (!repo) {
    throw new UserError(
      m.archive ? `packages.metapackage.archive: no Golden repository named "${m.archive}" under repositories` : 'packages.metapackage needs one Golden repository (repositories: [{name, golden: DIR}]) to publish the metapackage to',
      { hint: goldens.length > 1 ? `name it with packages.metapackage.archive (one of: ${goldens.map((g) => g.name).join(', ')})` : 'add the archive made by `golden init` under repositories' },
    );
  }
  if (repo.use === 'image') throw new UserError(`packages.metapackage: the repository ${repo.name} has use: image, so the build cannot install from it`, { hint: 'set its use to both' });
  const distribution = m.distribution ?? resolveGoldenRepository(repo, config).distribution;
  const depends = [...config.packages.install, ...config.packages.lists.flatMap((f) => parsePackageList(readFileSync(f, 'utf8')))];
  if (depends.length === 0) throw new UserError('packages.metapackage: packages.install and packages.lists are empty, so the metapackage would depend on nothing');
  const { openArchive } = await import('../repo/archive.js');
  const { mutate } = await import('../repo/ops.js');
  const { addMetapackage } = await import('../repo/metapackage-op.js');
  const a = openArchive(goldenArchiveRoot(repo.golden));
  const { result } = await mutate(a, { waitSeconds: 600, publish: true }, (state) =>
    addMetapackage(a, state, distribution, m.name, { depends, description: `packages of the ${config.name} image\nInstalling this package installs what the ${config.name} image is made of; a new version follows every change of its list.` }),
  );
  return { ...result, distribution };
}
