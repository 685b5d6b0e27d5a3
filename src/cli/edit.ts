import type { Command } from 'commander';
import { withExamples } from './help.js';

export function registerEdit(program: Command): void {
  withExamples(
    program
      .command('edit')
      .description('unpack an image, change it in a chroot (an interactive shell, or --script), and save the result as a new image; a failed or interrupted edit writes nothing')
      .argument('<image>', 'a qcow2/raw/vmdk/vhd/vhdx disk image, a live ISO, a rootfs tarball, an OCI image or a root directory')
      .option('-o, --output <path>', 'where to write the new image (default: IMAGE-edited.EXT beside the input)')
      .option('--format <type>', 'output type: rootfs, tar, iso, raw, qcow2, vmdk, vhd, vhdx, oci (default: the same as the input)')
      .option('--script <file>', 'run this script in the chroot instead of opening a shell (a #! line picks the interpreter, else /bin/sh)')
      .action(async (image: string, opts: { output?: string; format?: string; script?: string }) => {
        const { editImage } = await import('../customize/edit.js');
        const { goldenVersion } = await import('../paths.js');
        await editImage(image, { ...opts, goldenVersion: goldenVersion() });
      }),
    [
      ['golden edit vendor.qcow2', 'open a shell in the image; `exit` saves vendor-edited.qcow2'],
      ['golden edit office.iso --script fix.sh -o office-fixed.iso', 'run fix.sh in the image, unattended'],
      ['golden edit vendor.qcow2 --format iso -o live.iso', 'edit a disk image and save it as a live ISO'],
    ],
  );
}
