// Entry point: commander wiring only. Each command group lives in its own file and imports its
// implementation lazily, so `golden --help` and quick commands start fast.
import { Command, CommanderError } from 'commander';
import { EXIT_USAGE, describeError, exitCodeFor } from '../errors.js';
import { installSignalHandlers } from '../lifecycle.js';
import { log } from '../log/logger.js';
import { goldenVersion } from '../paths.js';
import { registerCommands } from './commands.js';

export interface GlobalOptions {
  verbose?: boolean;
  debug?: boolean;
  json?: boolean;
  color?: boolean;
  quiet?: boolean;
}

export { goldenVersion } from '../paths.js';

export function buildProgram(): Command {
  const program = new Command('golden');
  program
    .description('Build customised Debian and Ubuntu golden images and the signed apt archive they update from.')
    .version(goldenVersion(), '-V, --version', 'print the Golden version')
    .option('-v, --verbose', 'show every command run and its output')
    .option('--debug', 'like --verbose, and show stack traces for errors')
    .option('-q, --quiet', 'print only warnings and errors')
    .option('--json', 'print machine-readable output (JSON) on stdout')
    .option('--no-color', 'no colour in output (NO_COLOR is honoured too)')
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run with --help for usage and examples)')
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true })
    .exitOverride()
    .hook('preAction', (thisCommand) => {
      const opts = thisCommand.optsWithGlobals<GlobalOptions>();
      log.configure({
        level: opts.debug ? 'debug' : opts.verbose ? 'verbose' : opts.quiet ? 'quiet' : 'info',
        json: opts.json === true,
        color: opts.color,
      });
    });
  registerCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  installSignalHandlers();
  // `golden list | head` closes stdout early: that is not an error
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed its message (or the help/version text)
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    const debug = program.opts<GlobalOptions>().debug === true;
    const text = describeError(err, debug);
    if (text) process.stderr.write(`${log.colors.red(text.split('\n')[0] ?? '')}\n${text.split('\n').slice(1).join('\n')}${text.includes('\n') ? '\n' : ''}`);
    return exitCodeFor(err);
  }
}
