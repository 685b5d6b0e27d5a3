import type { Command } from 'commander';
import { withExamples } from './help.js';

export function registerDoctor(program: Command): void {
  withExamples(
    program
      .command('doctor')
      .description('check which host tools Golden needs are present, and print the command that installs the missing ones')
      .action(async (_opts, cmd: Command) => {
        const { doctor } = await import('../doctor.js');
        process.exitCode = await doctor({ json: cmd.optsWithGlobals<{ json?: boolean }>().json === true });
      }),
    [
      ['golden doctor', 'list host tools by capability, present or missing'],
      ['golden doctor --json', 'the same as JSON, for scripts'],
    ],
  );
}
