import type { Command } from 'commander';
import { withExamples } from './help.js';

export function registerConfig(program: Command): void {
  const group = withExamples(
    program.command('config').description('check a golden.yaml and show the configuration Golden will use'),
    [
      ['golden config check', 'validate ./golden.yaml and print it resolved'],
      ['golden config schema > golden.schema.json', 'the JSON Schema, for editor completion'],
    ],
  );
  withExamples(
    group
      .command('check')
      .description('validate a config (includes, features, referenced files) and print it resolved, with defaults applied')
      .argument('[config]', 'the configuration file', 'golden.yaml')
      .option('--files', 'print only the input files the config references')
      .action(async (config: string, opts: { files?: boolean }, cmd: Command) => {
        const { configCheck } = await import('../config/check.js');
        const json = cmd.optsWithGlobals<{ json?: boolean }>().json === true;
        process.exitCode = await configCheck(config, { json, files: opts.files === true });
      }),
    [
      ['golden config check', 'check ./golden.yaml; print it resolved as YAML'],
      ['golden config check images/kiosk.yaml --json', 'the resolved config (or the errors) as JSON'],
      ['golden config check --files', 'list every file the config reads'],
    ],
  );
  withExamples(
    group
      .command('schema')
      .description('print the JSON Schema of golden.yaml (what editors use for completion and checks)')
      .action(async () => {
        const { configSchema } = await import('../config/check.js');
        process.exitCode = configSchema();
      }),
    [
      ['golden config schema', 'print the schema'],
      ['golden config schema > .vscode/golden.schema.json', 'save it for an editor'],
    ],
  );
}
