// Commands `build`, `plan` and `cache list|gc|rm`. The work is imported lazily so start-up stays fast.
import type { Command } from 'commander';
import { withExamples } from './help.js';

interface BuildFlags {
  outputDir?: string;
  cache?: string;
}

function configArg(config: string | undefined): string {
  return config ?? 'golden.yaml';
}

export function registerBuild(program: Command): void {
  withExamples(
    program
      .command('build')
      .description('build the image a config describes: layers (base, packages, config, finalize) reused from the cache when unchanged, then the outputs')
      .argument('[config]', 'the image configuration', 'golden.yaml')
      .option('-o, --output-dir <dir>', 'where outputs go (default: out/ beside the config)')
      .option('--cache <dir>', 'cache directory (default: $GOLDEN_CACHE or /var/cache/golden)')
      .action(async (config: string | undefined, flags: BuildFlags) => {
        const { build } = await import('../build/build.js');
        await build({ configPath: configArg(config), ...(flags.outputDir ? { outputDir: flags.outputDir } : {}), ...(flags.cache ? { cacheDir: flags.cache } : {}) });
      }),
    [
      ['golden build', 'build ./golden.yaml into ./out/'],
      ['golden build examples/basic/golden.yaml --output-dir /tmp/out', 'build another config, outputs elsewhere'],
      ['golden build --json | jq -c "select(.event==\\"layer\\")"', 'machine-readable events: which layers were cached'],
    ],
  );

  withExamples(
    program
      .command('plan')
      .description('show what `golden build` would do: each layer\'s cache key, whether it is cached, and why not')
      .argument('[config]', 'the image configuration', 'golden.yaml')
      .option('--cache <dir>', 'cache directory (default: $GOLDEN_CACHE or /var/cache/golden)')
      .action(async (config: string | undefined, flags: BuildFlags, cmd: Command) => {
        const { plan } = await import('../build/plan-command.js');
        process.exitCode = await plan({ configPath: configArg(config), ...(flags.cache ? { cacheDir: flags.cache } : {}), json: cmd.optsWithGlobals<{ json?: boolean }>().json === true });
      }),
    [
      ['golden plan', 'which steps of ./golden.yaml would run, and why'],
      ['golden plan --json other.yaml', 'the same as JSON'],
    ],
  );

  const cache = withExamples(program.command('cache').description('inspect and clean the build cache'), [
    ['golden cache list', 'every cached layer and output with its size'],
    ['golden cache gc --older-than 14', 'remove entries unused for 14 days, keeping those of the latest builds'],
  ]);
  const cacheOpt = (c: Command) => c.option('--cache <dir>', 'cache directory (default: $GOLDEN_CACHE or /var/cache/golden)');
  withExamples(
    cacheOpt(cache.command('list').description('list cached layers and outputs: key, step, size, age, last use')).action(async (flags: BuildFlags, cmd: Command) => {
      const { cacheList } = await import('../cache/commands.js');
      await cacheList({ ...(flags.cache ? { cacheDir: flags.cache } : {}), json: cmd.optsWithGlobals<{ json?: boolean }>().json === true });
    }),
    [
      ['golden cache list', 'table of cache entries'],
      ['golden cache list --json', 'the same as JSON'],
    ],
  );
  withExamples(
    cacheOpt(cache.command('gc').description('remove cache entries not used for a while; entries the latest build of each config uses are kept'))
      .option('--older-than <days>', 'remove entries unused for more than this many days', '30')
      .option('--all-unreferenced', 'remove every entry the latest builds do not use, whatever its age')
      .option('--dry-run', 'only say what would be removed')
      .action(async (flags: BuildFlags & { olderThan: string; allUnreferenced?: boolean; dryRun?: boolean }, cmd: Command) => {
        const { cacheGc } = await import('../cache/commands.js');
        await cacheGc({ ...(flags.cache ? { cacheDir: flags.cache } : {}), olderThanDays: Number(flags.olderThan), all: flags.allUnreferenced === true, dryRun: flags.dryRun === true, json: cmd.optsWithGlobals<{ json?: boolean }>().json === true });
      }),
    [
      ['golden cache gc', 'remove entries unused for 30 days'],
      ['golden cache gc --all-unreferenced --dry-run', 'what a full clean would remove'],
    ],
  );
  withExamples(
    cacheOpt(cache.command('rm').description('remove cache entries by key prefix, or everything with --all'))
      .argument('[keys...]', 'key prefixes (as shown by `golden cache list`)')
      .option('--all', 'remove every entry (the .deb cache too)')
      .action(async (keys: string[], flags: BuildFlags & { all?: boolean }) => {
        const { cacheRm } = await import('../cache/commands.js');
        await cacheRm({ ...(flags.cache ? { cacheDir: flags.cache } : {}), keys, all: flags.all === true });
      }),
    [
      ['golden cache rm 3fa2c1', 'remove the entry whose key starts with 3fa2c1'],
      ['golden cache rm --all', 'empty the cache'],
    ],
  );
}
