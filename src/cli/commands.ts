import type { Command } from 'commander';
import { registerConfig } from './config.js';
import { registerDoctor } from './doctor.js';

export function registerCommands(program: Command): void {
  registerDoctor(program);
  registerConfig(program);
}
