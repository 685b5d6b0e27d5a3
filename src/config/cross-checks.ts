// Rules that span fields, which a schema cannot say: names that must be unique or must refer to something,
// and combinations that cannot work. Each error points at the field that breaks the rule.
import { InputError } from '../errors.js';
import type { ConfigSources } from './load.js';
import { isGoldenRepository, type GoldenConfig } from './schema.js';

export function checkCrossReferences(config: GoldenConfig, sources: ConfigSources): InputError[] {
  const errors: InputError[] = [];
  const fail = (field: string, message: string, hint?: string) => errors.push(new InputError(sources.locate(field), message, hint === undefined ? {} : { hint }));

  const duplicates = (items: readonly { name: string }[], field: string, what: string) => {
    const seen = new Set<string>();
    items.forEach((it, i) => {
      if (seen.has(it.name)) fail(`${field}[${i}].name`, `${what} "${it.name}" is defined twice`, `give each ${what} its own name, or remove one (includes and features add to lists)`);
      seen.add(it.name);
    });
  };
  duplicates(config.repositories, 'repositories', 'repository');
  duplicates(config.users, 'users', 'user');
  duplicates(config.groups, 'groups', 'group');

  const repoNames = config.repositories.map((r) => r.name);
  const goldenNames = config.repositories.filter(isGoldenRepository).map((r) => r.name);
  (config.updates.sources ?? []).forEach((name, i) => {
    if (name !== 'distribution' && !repoNames.includes(name)) {
      fail(`updates.sources[${i}]`, `no repository is named "${name}"`, `use "distribution" or one of the repositories: ${repoNames.join(', ') || '(none defined)'}`);
    }
  });

  const meta = config.packages.metapackage;
  if (meta) {
    if (meta.archive !== undefined && !goldenNames.includes(meta.archive)) {
      fail('packages.metapackage.archive', `no Golden repository is named "${meta.archive}"`, `name one of the repositories with a golden: path: ${goldenNames.join(', ') || '(none defined)'}`);
    } else if (meta.archive === undefined && goldenNames.length !== 1) {
      fail('packages.metapackage', goldenNames.length === 0 ? 'a metapackage needs a Golden archive to live in, and none is configured' : 'several Golden repositories are configured; say which one holds the metapackage', 'add {name: company, golden: ./archive} under repositories, and/or set packages.metapackage.archive');
    }
  }
  if (config.iso.pool.allOfArchive !== undefined && goldenNames.length === 0) {
    fail('iso.pool.allOfArchive', 'no Golden repository is configured to take the packages from', 'add {name: company, golden: ./archive} under repositories');
  }

  const parts = config.storage.partitions;
  const roots = parts.filter((p) => p.type === 'root').length;
  if (roots !== 1) fail('storage.partitions', `the layout has ${roots} root partitions; it needs exactly one`, 'mark one partition with type: root');
  const percent = parts.filter((p) => p.size.endsWith('%'));
  if (percent.reduce((n, p) => n + Number(p.size.slice(0, -1)), 0) > 100) fail('storage.partitions', 'the percentages of the partitions add up to more than 100%', 'percentages share the space left after the fixed-size partitions');
  const boot = config.storage.bootType;
  if (boot !== 'bios' && !parts.some((p) => p.type === 'esp')) fail('storage.bootType', `bootType ${boot} needs an EFI system partition`, 'add {label: ESP, size: 127M, type: esp}');
  if (boot !== 'efi' && config.storage.table === 'gpt' && !parts.some((p) => p.type === 'bios-boot')) {
    fail('storage.bootType', `bootType ${boot} on a GPT disk needs a BIOS boot partition`, 'add {label: BIOS, size: 1M, type: bios-boot}, or use bootType: efi');
  }

  const inst = config.installer;
  if (inst && inst.mode === 'unattended' && inst.encryption.enabled && inst.encryption.passphrase === 'prompt') {
    fail('installer.encryption.passphrase', 'an unattended installation cannot ask for the passphrase', 'give it with {file: PATH} or {env: NAME}, or use mode: guided');
  }
  return errors;
}
