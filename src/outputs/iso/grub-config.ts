// The disc's GRUB menus. One grub.cfg serves both firmwares: BIOS GRUB (eltorito.img) reads it from
// its prefix /boot/grub, and Debian's signed CD GRUB finds the disc by /.disk/info and sources
// /boot/grub/grub.cfg (its built-in config). loopback.cfg is for GRUB on another disk that boots the
// ISO file itself (`loopback loop FILE; set iso_path=FILE; configfile (loop)/boot/grub/loopback.cfg`).
import type { LiveVendor } from './vendor/types.js';

export interface GrubMenuOptions {
  /** Shown in the menu, e.g. "Golden 1.0". */
  title: string;
  vendor: LiveVendor;
  /** kernel.commandLine then iso.kernelCommandLine.extraCommandLine. */
  kernelArguments: readonly string[];
  /** The layer files in the live directory, base first. */
  layers: readonly string[];
  /** Seconds before the default entry boots; short, so unattended boots (tests, kiosks) go on. */
  timeoutSeconds: number;
  /** More live entries after the default one, e.g. the installer's, with their own extra arguments. */
  extraEntries?: readonly { title: string; kernelArguments: readonly string[] }[];
}

/** Quote one kernel argument for GRUB's shell-like parser (";", spaces and "$" are special to it). */
export function grubQuote(arg: string): string {
  if (/^[A-Za-z0-9_.,:/=+@%^-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

function entry(title: string, kernel: string, initrd: string, args: readonly string[]): string {
  return [`menuentry ${grubQuote(title)} {`, `\tlinux\t${kernel} ${args.map(grubQuote).join(' ')}`.trimEnd(), `\tinitrd\t${initrd}`, '}'].join('\n');
}

function header(o: GrubMenuOptions): string {
  return [
    'set default=0',
    `set timeout=${o.timeoutSeconds}`,
    'set timeout_style=menu',
    // the serial console lets headless machines and the tests see and drive the menu
    'if serial --unit=0 --speed=115200; then',
    '\tterminal_input --append serial',
    '\tterminal_output --append serial',
    'fi',
    'if [ "$grub_platform" = "pc" ]; then insmod all_video; fi',
  ].join('\n');
}

export function grubConfig(o: GrubMenuOptions): string {
  const dir = `/${o.vendor.liveDir}`;
  const args = [...o.vendor.bootArguments, ...o.vendor.layerArguments(o.layers), ...o.kernelArguments];
  return [
    header(o),
    '',
    entry(`Start ${o.title} (live)`, `${dir}/vmlinuz`, `${dir}/initrd.img`, args),
    ...(o.extraEntries ?? []).map((e) => entry(e.title, `${dir}/vmlinuz`, `${dir}/initrd.img`, [...args, ...e.kernelArguments])),
    entry(`Start ${o.title} (live, safe graphics)`, `${dir}/vmlinuz`, `${dir}/initrd.img`, [...args, 'nomodeset']),
    'if [ "$grub_platform" = "efi" ]; then',
    "menuentry 'Boot from next volume' {",
    '\texit 1',
    '}',
    "menuentry 'UEFI Firmware Settings' {",
    '\tfwsetup',
    '}',
    'fi',
    '',
  ].join('\n');
}

export function loopbackConfig(o: GrubMenuOptions): string {
  const dir = `/${o.vendor.liveDir}`;
  // ${iso_path} is left for GRUB to expand, so it must not go through grubQuote's single quotes
  const isoArg = o.vendor.isoFileArgument('${iso_path}');
  const args = [...o.vendor.bootArguments, ...o.vendor.layerArguments(o.layers), ...o.kernelArguments];
  const line = (extra: string[]) => [...args, ...extra].map(grubQuote).concat(isoArg.replace(/^(.*)$/, '"$1"')).join(' ');
  return [
    'set default=0',
    `set timeout=${o.timeoutSeconds}`,
    '',
    `menuentry ${grubQuote(`Start ${o.title} (live)`)} {`,
    `\tlinux\t${dir}/vmlinuz ${line([])}`,
    `\tinitrd\t${dir}/initrd.img`,
    '}',
    `menuentry ${grubQuote(`Start ${o.title} (live, safe graphics)`)} {`,
    `\tlinux\t${dir}/vmlinuz ${line(['nomodeset'])}`,
    `\tinitrd\t${dir}/initrd.img`,
    '}',
    '',
  ].join('\n');
}

/** The small config on the ESP: used only if the signed GRUB's built-in search ever falls through to it. */
export function espGrubConfig(): string {
  return ['search --no-floppy --set=root --file /.disk/info', 'set prefix=($root)/boot/grub', 'configfile $prefix/grub.cfg', ''].join('\n');
}
