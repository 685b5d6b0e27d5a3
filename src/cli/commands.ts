// The list of command groups. Each file registers its commands and imports the work lazily.
import type { Command } from 'commander';
import { registerDoctor } from './doctor.js';

export function registerCommands(program: Command): void {
  registerDoctor(program);
}
