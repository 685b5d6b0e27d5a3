import type { Command } from 'commander';
import { withExamples } from './help.js';

export function registerInstaller(program: Command): void {
  const group = withExamples(
    program.command('installer').description("what the installer section of a config gives the distributions' own installers, and the ISO"),
    [
      ['golden installer preseed', 'debian-installer preseed.cfg for ./golden.yaml'],
      ['golden installer autoinstall -o user-data', 'Ubuntu autoinstall user-data'],
      ['golden installer files --dir /tmp/parts', "the installer's files as they go into the live image"],
    ],
  );
  withExamples(
    group
      .command('preseed')
      .description('print (or write) a debian-installer preseed.cfg: partman-crypto, mirror, user, company apt sources, unattended upgrades')
      .argument('[config]', 'the configuration file', 'golden.yaml')
      .option('-o, --output <file>', 'write it to this file (mode 0600: it can hold the LUKS passphrase)')
      .action(async (config: string, opts: { output?: string }) => {
        const { emitPreseed } = await import('../installer/emit.js');
        process.exitCode = await emitPreseed(config, opts.output);
      }),
    [
      ['golden installer preseed', 'print the preseed for ./golden.yaml'],
      ['golden installer preseed kiosk.yaml -o preseed.cfg', 'write it for a netboot server'],
    ],
  );
  withExamples(
    group
      .command('autoinstall')
      .description('print (or write) an Ubuntu autoinstall user-data: LVM on LUKS, company apt sources, unattended upgrades, late-commands')
      .argument('[config]', 'the configuration file', 'golden.yaml')
      .option('-o, --output <file>', 'write it to this file (mode 0600: it can hold the LUKS passphrase)')
      .action(async (config: string, opts: { output?: string }) => {
        const { emitAutoinstall } = await import('../installer/emit.js');
        process.exitCode = await emitAutoinstall(config, opts.output);
      }),
    [
      ['golden installer autoinstall', 'print the user-data for ./golden.yaml'],
      ['golden installer autoinstall laptop.yaml -o seed/user-data', 'write it into a NoCloud seed directory'],
    ],
  );
  withExamples(
    group
      .command('files')
      .description("write the installer's part of the live image (scripts, units, settings) under a directory, and list the packages and boot entries it adds")
      .argument('[config]', 'the configuration file', 'golden.yaml')
      .requiredOption('--dir <dir>', 'where to write the tree')
      .action(async (config: string, opts: { dir: string }, cmd: Command) => {
        const { emitFiles } = await import('../installer/emit.js');
        process.exitCode = await emitFiles(config, opts.dir, cmd.optsWithGlobals<{ json?: boolean }>().json === true);
      }),
    [
      ['golden installer files --dir parts', 'write the tree to ./parts'],
      ['golden installer files laptop.yaml --dir parts --json', 'also print packages and boot entries as JSON'],
    ],
  );
}
