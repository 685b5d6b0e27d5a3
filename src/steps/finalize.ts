// The finalize layer: scripts.finalize, then the clean-up that makes the image fit to copy to many
// machines (finalize-clean.sh), and a first-boot unit that makes SSH host keys when sshd is installed.
// Timestamps are clamped when the layer is captured, like every layer's.
import { readFileSync } from 'node:fs';
import type { GoldenConfig } from '../config/schema.js';
import { sourceFile } from '../paths.js';
import { writeImageFile } from './image-files.js';
import { runPayload } from './payload.js';
import { runScripts, scriptFiles } from './scripts.js';
import type { StepInputs, TreeStepContext } from './types.js';

export interface FinalizeOptions {
  scripts: GoldenConfig['scripts']['finalize'];
}

export function finalizeInputs(config: GoldenConfig): StepInputs<FinalizeOptions> {
  return {
    options: { scripts: config.scripts.finalize },
    // the payloads are part of what this step does: changing them must rebuild the layer
    files: [...scriptFiles(config.scripts.finalize), sourceFile('steps/payload/finalize-clean.sh'), sourceFile('steps/payload/ssh-host-keys.sh'), sourceFile('steps/payload/golden-ssh-host-keys.service')],
  };
}

export async function runFinalize(ctx: TreeStepContext<FinalizeOptions>): Promise<void> {
  await runScripts(ctx, ctx.options.scripts, 'finalize');
  if (ctx.root.exists('/usr/sbin/sshd')) {
    await writeImageFile(ctx.root, { path: '/usr/libexec/golden/ssh-host-keys', content: readFileSync(sourceFile('steps/payload/ssh-host-keys.sh')), mode: '0755' });
    await writeImageFile(ctx.root, { path: '/etc/systemd/system/golden-ssh-host-keys.service', content: readFileSync(sourceFile('steps/payload/golden-ssh-host-keys.service')) });
    await ctx.root.chroot('systemctl', ['enable', 'golden-ssh-host-keys.service'], { purpose: 'enable SSH host key generation at first boot' });
  }
  await runPayload(ctx, 'finalize-clean.sh', [], 'clean the image for copying');
}
