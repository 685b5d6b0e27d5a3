// `golden repo …`: the signed company apt archive. Parsing only; the work is in src/repo/commands.ts,
// imported when a command runs so `golden --help` stays fast.
import type { Command } from 'commander';
import { commaList, withExamples } from './help.js';

type Globals = { archive?: string; wait?: string; json?: boolean; publish?: boolean };

function globals(cmd: Command): Globals {
  return cmd.optsWithGlobals<Globals>();
}

function impl() {
  return import('../repo/commands.js');
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function registerRepo(program: Command): void {
  const repo = withExamples(
    program
      .command('repo')
      .description('manage the signed apt archive: distributions, packages, metapackages, publishing and serving')
      .option('--archive <dir>', 'the archive directory (default: ./archive, as made by `golden init`)')
      .option('--wait <seconds>', 'how long to wait for another golden process holding the archive lock', '10'),
    [
      ['golden repo add-dist bookworm-company', 'create a distribution'],
      ['golden repo add bookworm-company ./debs/*.deb', 'add packages and publish'],
      ['golden repo serve --listen 0.0.0.0:8080', 'serve the archive over HTTP'],
    ],
  );
  const noPublish = (c: Command) => c.option('--no-publish', 'change the database only; publish later with `golden repo publish`');

  withExamples(
    noPublish(
      repo
        .command('add-dist')
        .argument('<name>', 'distribution (codename) name, e.g. bookworm-company')
        .description('create a distribution')
        .option('--components <list>', 'comma-separated components (default: main)', commaList)
        .option('--architectures <list>', 'comma-separated architectures (default: amd64)', commaList)
        .option('--suite <suite>', 'Suite field of the Release file (default: the name)')
        .option('--origin <origin>', 'Origin field of the Release file')
        .option('--label <label>', 'Label field (default: the origin)')
        .option('--description <text>', 'Description field')
        .option('--keep <n>', 'versions of each package to keep (default: 1, the newest)', (v) => Number(v)),
    ).action(async (name: string, o: { components?: string[]; architectures?: string[]; suite?: string; origin?: string; label?: string; description?: string; keep?: number }, cmd: Command) => {
      await (await impl()).cmdAddDist(globals(cmd), name, o);
    }),
    [
      ['golden repo add-dist bookworm-company', 'main, amd64'],
      ['golden repo add-dist trixie-company --components main,vendor --architectures amd64,arm64 --origin ACME --keep 3', 'more of everything'],
    ],
  );

  withExamples(
    noPublish(
      repo
        .command('remove-dist')
        .argument('<name>', 'distribution to remove')
        .description('remove a distribution; pool files no distribution references any more go too')
        .option('-y, --yes', 'do not ask for confirmation'),
    ).action(async (name: string, o: { yes?: boolean }, cmd: Command) => {
      await (await impl()).cmdRemoveDist(globals(cmd), name, o.yes === true);
    }),
    [['golden repo remove-dist old-company --yes', 'remove without asking']],
  );

  withExamples(
    noPublish(
      repo
        .command('add')
        .argument('<dist>', 'distribution')
        .argument('<files...>', '.deb, .udeb, .dsc (with its files) or .changes (every listed file is verified)')
        .description('add packages (a newer version replaces the older one) and publish')
        .option('--component <name>', 'component to add to (default: the first)')
        .option('--allow-uploader <keyfile>', 'require .changes to be signed by this OpenPGP public key (repeatable)', collect),
    ).action(async (dist: string, files: string[], o: { component?: string; allowUploader?: string[] }, cmd: Command) => {
      await (await impl()).cmdAdd(globals(cmd), dist, files, o);
    }),
    [
      ['golden repo add bookworm-company hello_2.10-3_amd64.deb', 'add one package'],
      ['golden repo add bookworm-company upload_1.0_amd64.changes --allow-uploader dev.asc', 'a signed upload'],
      ['golden repo add bookworm-company --no-publish *.deb', 'add many, publish later'],
    ],
  );

  withExamples(
    noPublish(repo.command('remove').argument('<dist>', 'distribution').argument('<packages...>', 'NAME or NAME=VERSION').description('remove packages and publish')).action(
      async (dist: string, packages: string[], _o: unknown, cmd: Command) => {
        await (await impl()).cmdRemove(globals(cmd), dist, packages);
      },
    ),
    [
      ['golden repo remove bookworm-company hello', 'every version and architecture of hello'],
      ['golden repo remove bookworm-company hello=2.10-3', 'one version'],
    ],
  );

  withExamples(
    repo
      .command('list')
      .argument('[dist]', 'only this distribution')
      .description('list packages (with --json: as JSON)')
      .action(async (dist: string | undefined, _o: unknown, cmd: Command) => {
        await (await impl()).cmdList(globals(cmd), dist);
      }),
    [
      ['golden repo list', 'every distribution'],
      ['golden repo list bookworm-company --json', 'as JSON, for scripts'],
    ],
  );

  withExamples(
    noPublish(
      repo
        .command('metapackage')
        .argument('<dist>', 'distribution')
        .argument('<name>', 'metapackage name, e.g. company-desktop')
        .description('build an Architecture: all metapackage (new version only when the list changes) and add it')
        .option('--depends <relations>', 'e.g. "vim, curl (>= 7.88), chromium | firefox-esr" (repeatable)', collect)
        .option('--recommends <relations>', 'recommended packages (repeatable)', collect)
        .option('--from-file <list>', 'more dependencies, one per line (# comments)')
        .option('--description <text>', 'synopsis, optionally followed by a newline and a longer text')
        .option('--maintainer <who>', 'Maintainer field, "Name <email>"')
        .option('--component <name>', 'component to add to (default: the first)'),
    ).action(async (dist: string, name: string, o: { depends?: string[]; recommends?: string[]; fromFile?: string; description?: string; maintainer?: string; component?: string }, cmd: Command) => {
      await (await impl()).cmdMetapackage(globals(cmd), dist, name, o);
    }),
    [
      ['golden repo metapackage bookworm-company company-desktop --depends "firefox-esr, libreoffice, vlc"', 'the standard desktop set'],
      ['golden repo metapackage bookworm-company company-tools --from-file tools.list --recommends htop', 'from a list file'],
    ],
  );

  withExamples(
    repo
      .command('publish')
      .description('write and sign dists/ for every distribution, switching atomically to the new indexes')
      .action(async (_o: unknown, cmd: Command) => {
        await (await impl()).cmdPublish(globals(cmd));
      }),
    [['golden repo publish', 'after changes made with --no-publish']],
  );

  withExamples(
    repo
      .command('sources')
      .description('print the deb822 .sources stanza for clients, with the archive key inline in Signed-By')
      .option('--url <url>', 'where clients reach the archive (default: file:// URL of public/)')
      .option('--dist <name>', 'distribution (repeatable; default: all)', collect)
      .option('--no-check-date', 'add Check-Date: no (machines without a reliable clock)')
      .action(async (o: { url?: string; dist?: string[]; checkDate?: boolean }, cmd: Command) => {
        await (await impl()).cmdSources(globals(cmd), o);
      }),
    [
      ['golden repo sources --url http://apt.example.internal/ > company.sources', 'for /etc/apt/sources.list.d/'],
      ['golden repo sources --dist bookworm-company', 'one distribution, file:// URL'],
    ],
  );

  withExamples(
    repo
      .command('serve')
      .description('serve public/ over HTTP (GET, HEAD, Range, ETag), access log on stderr; prints the URL')
      .option('--listen <host:port>', 'address to listen on (port 0: any free port)', '127.0.0.1:8080')
      .action(async (o: { listen: string }, cmd: Command) => {
        await (await impl()).cmdServe(globals(cmd), o.listen);
      }),
    [
      ['golden repo serve', 'on http://127.0.0.1:8080/'],
      ['golden repo serve --listen 0.0.0.0:80', 'for the whole network'],
    ],
  );
}
