// The kernel command line of every output. The config step writes it where both boot paths read it:
// GRUB's drop-in directory (disk images, update-grub on deployed machines) and /etc/kernel/cmdline
// (kernel-install, UKIs); output builders call kernelCommandLine() for the entries they write themselves.
import type { GoldenConfig } from '../config/schema.js';

export const GRUB_DROPIN = '/etc/default/grub.d/golden.cfg';
export const KERNEL_CMDLINE_FILE = '/etc/kernel/cmdline';

/** The arguments from kernel.commandLine, space-separated (no root=: each output adds its own). */
export function kernelCommandLine(config: GoldenConfig): string {
  return config.kernel.commandLine.join(' ');
}

export function grubDropin(config: GoldenConfig): string {
  const args = kernelCommandLine(config).replace(/["\\$`]/g, '\\$&');
  return `# Written by Golden from kernel.commandLine\nGRUB_CMDLINE_LINUX="\${GRUB_CMDLINE_LINUX:+$GRUB_CMDLINE_LINUX }${args}"\n`;
}
