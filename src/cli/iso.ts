// `golden iso --work-dir DIR STEP`: the seven isobuild steps as separate commands. Ubuntu isobuild's own
// spellings (--workdir, --disk-info, --capproject, --volid, setup-apt --chroot) are accepted too, so
// scripts written for it run unchanged.
import { type Command, Option } from 'commander';
import { commaList, withExamples } from './help.js';

type Opts = Record<string, unknown>;

function step(iso: Command, name: string, description: string, examples: [string, string][], configure: (c: Command) => Command): void {
  const cmd = iso.command(name).description(description);
  configure(cmd).action(async (opts: Opts, c: Command) => {
    const { runIsoStep } = await import('../isobuild/cli-actions.js');
    await runIsoStep(name, { ...c.parent!.opts<Opts>(), ...opts });
  });
  withExamples(cmd, examples);
}

export function registerIso(program: Command): void {
  const iso = program
    .command('iso')
    .description("build a live ISO step by step on a work directory (the steps of Ubuntu's isobuild)")
    .option('--work-dir <dir>', 'the work directory the steps share')
    .addOption(new Option('--workdir <dir>', 'same as --work-dir (isobuild spelling)').hideHelp());
  withExamples(iso, [
    ['golden iso --work-dir w init --disk-id "Golden 1.0 - Daily amd64 (20260101)" --series bookworm --arch amd64', 'start a disc'],
    ['golden iso --work-dir w make-iso --vol-id "Golden 1.0 amd64" --dest out/golden.iso', 'write the ISO (last step)'],
  ]);
  step(iso, 'init', 'start the work directory: disc skeleton, .disk/info, the one-time pool signing key', [['golden iso --work-dir w init --disk-id "Golden 1.0 - Daily amd64 (20260101)" --series bookworm --arch amd64', 'a Debian bookworm disc']], (c) =>
    c
      .option('--disk-id <text>', 'the .disk/info line: "Project VERSION - Daily|Release ARCH (YYYYMMDD)"')
      .addOption(new Option('--disk-info <text>', 'same as --disk-id (isobuild spelling)').hideHelp())
      .requiredOption('--series <name>', 'distribution release, e.g. bookworm')
      .requiredOption('--arch <arch>', 'architecture, e.g. amd64')
      .addOption(new Option('--arch-variant <variant>', 'accepted for isobuild compatibility; unused').hideHelp())
      .option('--project <name>', 'project name, used when --disk-id is not given', 'golden')
      .option('--image-version <version>', 'version, used when --disk-id is not given', '0.1')
      .option('--official', 'a Release rather than a Daily disc, when --disk-id is not given')
      .addOption(new Option('--vendor <vendor>', 'live system boot machinery').choices(['debian', 'ubuntu']).default('debian')),
  );
  step(iso, 'setup-apt', 'make the private apt state the pool is resolved against', [
    ['golden iso --work-dir w setup-apt --mirror http://mirror.example/debian --components main', 'from a mirror'],
    ['golden iso --work-dir w setup-apt --chroot build/chroot', "from a chroot's apt sources (isobuild)"],
  ], (c) =>
    c
      .option('--mirror <url>', "archive URL; default: the build machine's apt mirror for the series")
      .option('--components <list>', 'components, comma or space separated', (v: string, p: string[] | undefined) => commaList(v.replace(/\s+/g, ','), p))
      .option('--suites <list>', 'suites; default: the series', commaList)
      .option('--keyring <file>', "keyring that signs the mirror; default: the vendor's archive keyring")
      .option('--chroot <dir>', "use the apt sources of this root filesystem (isobuild's way)"),
  );
  step(iso, 'generate-pool', 'resolve, download, index and sign the pool on the disc', [['golden iso --work-dir w generate-pool --package-list-file pool.list', 'packages listed one a line (germinate output works too)']], (c) =>
    c.option('--package-list-file <file>', 'packages, one a line ("#" comments; germinate tables)').option('--package <name...>', 'packages named directly'),
  );
  step(iso, 'generate-sources', 'print the deb822 cdrom.sources for the pool (Signed-By inline) on stdout', [['golden iso --work-dir w generate-sources --mountpoint /run/live/medium > cdrom.sources', 'for the root layer']], (c) =>
    c.option('--mountpoint <path>', 'where the disc is mounted on the running system; default: where the initrd mounts it'),
  );
  step(iso, 'add-live-filesystem', 'put the kernel, initrd and squashfs layers (PREFIX*) on the disc', [['golden iso --work-dir w add-live-filesystem --artifact-prefix build/livecd.', 'build/livecd.kernel, .initrd, .01-base.squashfs, ...']], (c) =>
    c.requiredOption('--artifact-prefix <prefix>', 'PREFIXkernel, PREFIXinitrd and PREFIX*.squashfs (stacked in name order)'),
  );
  step(iso, 'make-bootable', 'GRUB menus, BIOS El Torito image and the Secure Boot ESP', [['golden iso --work-dir w make-bootable --project golden --capitalized-project Golden', 'amd64, BIOS + UEFI']], (c) =>
    c
      .option('--project <name>', 'project name')
      .option('--capitalized-project <name>', 'project name as shown in menus')
      .addOption(new Option('--capproject <name>', 'same as --capitalized-project (isobuild spelling)').hideHelp())
      .option('--subarch <name>', 'sub-architecture (none on amd64)')
      .addOption(new Option('--dtb-dir <dir>', 'accepted for isobuild compatibility; unused on amd64').hideHelp())
      .option('--kernel-arg <arg...>', 'kernel arguments for the live entries, e.g. console=ttyS0')
      .option('--timeout <seconds>', 'menu timeout before the default entry boots', '3'),
  );
  step(iso, 'make-iso', 'write md5sum.txt and SHA256SUMS, then the hybrid ISO and NAME.iso.sha256', [['golden iso --work-dir w make-iso --vol-id "Golden 1.0 amd64" --dest out/golden.iso', 'the finished disc']], (c) =>
    c
      .requiredOption('--dest <file>', 'the ISO file to write')
      .option('--vol-id <id>', 'volume id, at most 32 characters; default: from .disk/info')
      .addOption(new Option('--volid <id>', 'same as --vol-id (isobuild spelling)').hideHelp()),
  );
}
