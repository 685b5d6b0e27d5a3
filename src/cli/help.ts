// Every command's --help ends with examples; this keeps their layout the same everywhere.
import type { Command } from 'commander';

export function withExamples(cmd: Command, examples: readonly [string, string][]): Command {
  const width = Math.max(...examples.map(([c]) => c.length));
  const text = examples.map(([c, what]) => `  $ ${c.padEnd(width)}  # ${what}`).join('\n');
  return cmd.addHelpText('after', `\nExamples:\n${text}\n`);
}

/** Parse a comma-separated option value into a list (commander argParser). */
export function commaList(value: string, previous: string[] | undefined): string[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  return previous ? [...previous, ...items] : items;
}
