// User scripts (scripts.postCustomization, scripts.finalize), run in the image chroot in order, each
// with its interpreter and environment. The script is copied to /run/golden (a tmpfs, never in a layer).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ScriptEntry } from '../config/schema.js';
import { log } from '../log/logger.js';
import type { TreeStepContext } from './types.js';

export function scriptFiles(scripts: readonly ScriptEntry[]): string[] {
  return scripts.flatMap((s) => ('path' in s ? [s.path] : []));
}

export function scriptLabel(s: ScriptEntry, i: number): string {
  return s.name ?? ('path' in s ? s.path.split('/').pop()! : `script ${i + 1}`);
}

export async function runScripts(ctx: TreeStepContext, scripts: readonly ScriptEntry[], list: string): Promise<void> {
  for (const [i, s] of scripts.entries()) {
    const label = scriptLabel(s, i);
    const inImage = `/run/golden/scripts/${list}-${i}`;
    const host = ctx.root.hostPath(inImage);
    mkdirSync(dirname(host), { recursive: true });
    writeFileSync(host, 'path' in s ? readFileSync(s.path) : s.content, { mode: 0o755 });
    log.info(`running ${list} script ${label}`);
    const interpreter = s.interpreter.split(/\s+/).filter(Boolean);
    await ctx.root.chroot(interpreter[0]!, [...interpreter.slice(1), inImage], {
      env: { ...s.environment, GOLDEN_IMAGE_NAME: ctx.config.name, GOLDEN_IMAGE_VERSION: ctx.config.version },
      purpose: `scripts.${list}[${i}] (${label})`,
    });
  }
}
