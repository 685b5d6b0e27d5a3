// Output `tar`: the merged image tree as one reproducible tarball (sorted names, numeric owners, xattrs,
// mtimes clamped to SOURCE_DATE_EPOCH, no atime/ctime), compressed with all cores.
import { renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { OutputOf } from '../config/schema.js';
import { run, shellQuote } from '../exec/run.js';
import { findTool } from '../exec/tools.js';
import type { OutputBuilder, OutputContext } from './types.js';

type TarOutput = OutputOf<'tar'>;

const EXT: Record<TarOutput['compression'], string> = { gz: '.tar.gz', xz: '.tar.xz', zstd: '.tar.zst', none: '.tar' };

/** The compressor command for a tarball; gzip output stays reproducible (-n: no name or time stamp). */
export function compressorCommand(c: TarOutput['compression']): string[] | undefined {
  switch (c) {
    case 'gz':
      return findTool('pigz') ? ['pigz', '-n', '-6'] : ['gzip', '-n', '-6'];
    case 'xz':
      return ['xz', '-T0', '-6', '-c'];
    case 'zstd':
      return ['zstd', '-T0', '-q', '-c', '-3'];
    case 'none':
      return undefined;
  }
}

/** tar's arguments for a reproducible archive of `dir`. */
export function tarArgs(dir: string, sourceDateEpoch: number): string[] {
  return [
    '--create',
    '--file=-',
    '--format=posix',
    '--sort=name',
    '--numeric-owner',
    '--xattrs',
    '--xattrs-include=*',
    '--acls',
    `--mtime=@${sourceDateEpoch}`,
    '--clamp-mtime',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
    '--directory',
    dir,
    '.',
  ];
}

/** Write a tarball of the tree at `nsDir` (a path inside the namespace `run` enters) to `outputPath`. */
export async function writeTarball(runIn: (cmd: string, args: string[]) => Promise<unknown>, nsDir: string, outputPath: string, compression: TarOutput['compression'], sourceDateEpoch: number): Promise<void> {
  const tmp = join(dirname(outputPath), `.${basename(outputPath)}.tmp-${process.pid}`);
  const comp = compressorCommand(compression);
  const pipeline = `set -o pipefail; tar ${tarArgs(nsDir, sourceDateEpoch).map(shellQuote).join(' ')}${comp ? ` | ${comp.map(shellQuote).join(' ')}` : ''} > ${shellQuote(tmp)}`;
  try {
    await runIn('bash', ['-c', pipeline]);
    renameSync(tmp, outputPath);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

export const tarOutput: OutputBuilder<'tar'> = {
  type: 'tar',
  defaultFileName(config, output) {
    return `${config.name}${EXT[output.compression]}`;
  },
  requiredTools(output) {
    const comp = compressorCommand(output.compression);
    return ['tar', 'bash', ...(comp ? [comp[0]!] : [])];
  },
  async build(ctx: OutputContext<'tar'>) {
    const ns = await ctx.openRoot();
    try {
      await writeTarball((cmd, args) => ns.run(cmd, args, { purpose: 'write the tarball' }), ns.mountpoint!, ctx.outputPath, ctx.output.compression, ctx.sourceDateEpoch);
    } finally {
      await ns.close();
    }
    const sha = (await run('sha256sum', [ctx.outputPath])).stdout.split(' ')[0]!;
    return { files: [{ path: ctx.outputPath, bytes: statSync(ctx.outputPath).size, sha256: sha }] };
  },
};
