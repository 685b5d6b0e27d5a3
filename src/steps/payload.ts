// Payload scripts: real shell files under src/steps/payload/, piped into bash inside the image.
import { readFileSync } from 'node:fs';
import type { RunResult } from '../exec/run.js';
import { sourceFile } from '../paths.js';
import type { TreeStepContext } from './types.js';

/** Pipe a payload script (a real file under src/steps/payload/) into bash in the image. */
export async function runPayload(ctx: TreeStepContext, name: string, args: readonly string[], purpose: string, env: Record<string, string> = {}): Promise<RunResult> {
  return ctx.root.chroot('/bin/bash', ['-s', '--', ...args], { input: readFileSync(sourceFile(`steps/payload/${name}`)), purpose, env });
}
