// iso.pool.allOfArchive: every package of one distribution of the company archive (the first Golden
// repository of the config), copied into the disc's pool under the same pool/ path.
import { join } from 'node:path';
import type { GoldenConfig } from '../../config/schema.js';
import { isGoldenRepository } from '../../config/schema.js';
import { UserError } from '../../errors.js';
import type { PoolDeb } from '../../isobuild/steps.js';
import { getDist, loadState, openArchive } from '../../repo/archive.js';

export function archivePoolDebs(config: GoldenConfig, distribution: string): PoolDeb[] {
  const repo = config.repositories.find(isGoldenRepository);
  if (!repo) {
    throw new UserError(`iso.pool.allOfArchive names "${distribution}" but the config has no Golden archive`, {
      hint: 'add one under repositories: [{name: company, golden: ./archive}]',
    });
  }
  const archive = openArchive(repo.golden);
  const dist = getDist(loadState(archive), distribution);
  return dist.packages.flatMap((p) =>
    p.files.filter((f) => f.path.endsWith('.deb') || f.path.endsWith('.udeb')).map((f) => ({ from: join(archive.publicDir, f.path), poolPath: f.path.startsWith('pool/') ? f.path : join('pool', f.path) })),
  );
}
