// Output `rootfs`: the merged image tree copied into a plain directory (owners, modes, xattrs, ACLs and
// hard links kept), for containers, chroots and inspection.
import { existsSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { diskUsage } from '../cache/store.js';
import type { OutputBuilder, OutputContext } from './types.js';

export const rootfsOutput: OutputBuilder<'rootfs'> = {
  type: 'rootfs',
  defaultFileName(config) {
    return `${config.name}.rootfs`;
  },
  requiredTools() {
    return ['cp'];
  },
  async build(ctx: OutputContext<'rootfs'>) {
    const tmp = join(dirname(ctx.outputPath), `.${basename(ctx.outputPath)}.tmp-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    const ns = await ctx.openRoot();
    try {
      await ns.run('cp', ['-a', '--sparse=always', `${ns.mountpoint!}/.`, tmp], { purpose: 'copy the image tree' });
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    } finally {
      await ns.close();
    }
    // the old directory goes only once the new one is complete
    if (existsSync(ctx.outputPath)) {
      const old = `${tmp}.old`;
      renameSync(ctx.outputPath, old);
      renameSync(tmp, ctx.outputPath);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, ctx.outputPath);
    }
    return { files: [{ path: ctx.outputPath, bytes: await diskUsage(ctx.outputPath), sha256: '' }] };
  },
};
