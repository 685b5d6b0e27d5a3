// `golden doctor`: which capabilities this host can run, and the exact install command for the rest.
import { findTool, packageForTool } from './exec/tools.js';
import { log } from './log/logger.js';

/** Host tools per capability; the first entry of each list is what the capability is named after. */
export const CAPABILITY_TOOLS: Readonly<Record<string, readonly string[]>> = {
  'archive (golden repo)': ['dpkg-deb', 'gpgv'],
  'build (golden build)': ['mmdebstrap', 'unshare', 'nsenter', 'setpriv', 'tar', 'zstd', 'xz'],
  'live ISO (type: iso)': ['mksquashfs', 'xorriso', 'grub-mkimage', 'mcopy', 'mkfs.vfat'],
  'disk images (raw, qcow2, vmdk, vhd, vhdx)': ['mkfs.ext4', 'sfdisk', 'qemu-img', 'grub-mkimage', 'mcopy', 'mkfs.vfat'],
  'container images (type: oci)': ['tar'],
  'virtual machines (golden run)': ['qemu-system-x86_64'],
};

export async function doctor(opts: { json: boolean }): Promise<number> {
  const report = Object.entries(CAPABILITY_TOOLS).map(([capability, tools]) => {
    const missing = tools.filter((t) => !findTool(t));
    return { capability, ok: missing.length === 0, missing, packages: [...new Set(missing.map((t) => packageForTool(t) ?? t))] };
  });
  const allPackages = [...new Set(report.flatMap((r) => r.packages))];
  const install = allPackages.length ? `apt-get install -y ${allPackages.join(' ')}` : undefined;
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ capabilities: report, install: install ?? null }, null, 2)}\n`);
  } else {
    const c = log.colors;
    for (const r of report) {
      process.stdout.write(`${r.ok ? c.green('ok     ') : c.red('missing')} ${r.capability}${r.ok ? '' : c.dim(`  (${r.missing.join(', ')})`)}\n`);
    }
    if (install) process.stdout.write(`\nInstall what is missing with:\n  ${install}\n`);
    else process.stdout.write('\nEverything Golden needs is installed.\n');
  }
  return install ? 1 : 0;
}
