import type { Command } from 'commander';
import { withExamples } from './help.js';

export function registerInit(program: Command): void {
  withExamples(
    program
      .command('init')
      .argument('[dir]', 'directory to create or fill', '.')
      .description('start a configuration: a commented golden.yaml, an empty signed apt archive (DIR/archive) and its new ed25519 key')
      .option('--key-name <name>', 'name in the signing key user ID (default: "<dir> archive signing key (<host>)")')
      .option('--key-email <email>', 'email address in the signing key user ID')
      .action(async (dir: string, o: { keyName?: string; keyEmail?: string }, cmd: Command) => {
        const { init } = await import('../init.js');
        const { log } = await import('../log/logger.js');
        const r = await init({ dir, keyName: o.keyName, keyEmail: o.keyEmail });
        if (cmd.optsWithGlobals<{ json?: boolean }>().json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        else {
          log.success(`created ${r.config} and the archive ${r.archive}`);
          log.info(`archive signing key ${r.fingerprint} (public keyring: ${r.publicKey})`);
          log.info('next: golden repo --archive ' + r.archive + ' add-dist NAME, then edit golden.yaml');
        }
      }),
    [
      ['golden init company-images', 'create company-images/ with golden.yaml and archive/'],
      ['golden init . --key-name "ACME archive" --key-email it@acme.example', 'in the current directory, with a named key'],
    ],
  );
}
