import type { Command } from 'commander';
import { withExamples } from './help.js';

export function registerInspect(program: Command): void {
  withExamples(
    program
      .command('inspect')
      .description("print an image's manifest (Golden version, layers, packages), its resolved config and SBOM; works on every output type without mounting")
      .argument('<image>', 'a qcow2/raw/vmdk/vhd/vhdx disk image, an ISO, a rootfs tarball, an OCI image or a root directory')
      .option('--config', 'print only the resolved config (golden.yaml) the image was built from')
      .option('--sbom', 'print only the CycloneDX SBOM')
      .option('--packages', 'list every installed package with its version')
      .action(async (image: string, opts: { config?: boolean; sbom?: boolean; packages?: boolean }, cmd: Command) => {
        const { inspectCommand } = await import('../manifest/inspect.js');
        process.exitCode = await inspectCommand(image, { ...opts, json: cmd.optsWithGlobals<{ json?: boolean }>().json === true });
      }),
    [
      ['golden inspect out/office.qcow2', 'summary: image, Golden version, layers, package count'],
      ['golden inspect out/office.iso --packages', 'also list the installed packages'],
      ['golden inspect out/office.tar.zst --config > golden.yaml', 'the config the image was built from, to build it again'],
      ['golden inspect --json out/office.iso', 'everything as one JSON document'],
    ],
  );
}
