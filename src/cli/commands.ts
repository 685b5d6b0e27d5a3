import type { Command } from 'commander';
import { registerConfig } from './config.js';
import { registerDoctor } from './doctor.js';
import { registerInit } from './init.js';
import { registerRepo } from './repo.js';

export function registerCommands(program: Command): void {
  registerDoctor(program);
  registerInit(program);
  registerRepo(program);
  registerConfig(program);
}
