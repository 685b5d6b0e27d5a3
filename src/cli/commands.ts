// The list of command groups. Each file registers its commands and imports the work lazily.
import type { Command } from 'commander';
import { registerBuild } from './build.js';
import { registerConfig } from './config.js';
import { registerDoctor } from './doctor.js';
import { registerEdit } from './edit.js';
import { registerInspect } from './inspect.js';
import { registerInit } from './init.js';
import { registerInstaller } from './installer.js';
import { registerIso } from './iso.js';
import { registerRepo } from './repo.js';
import { registerRun } from './run.js';

export function registerCommands(program: Command): void {
  registerDoctor(program);
  registerInspect(program);
  registerEdit(program);
  registerInit(program);
  registerRepo(program);
  registerConfig(program);
  registerBuild(program);
  registerInstaller(program);
  registerIso(program);
  registerRun(program);
}
