// The packages installed in an image, read from its dpkg database (var/lib/dpkg/status) so no chroot
// or dpkg-query is needed, and images of another architecture read the same way.

export interface InstalledPackage {
  name: string;
  version: string;
  architecture: string;
  /** Source package name and version (equal to the binary's when the Source field is absent). */
  source: string;
  sourceVersion: string;
  maintainer?: string;
  homepage?: string;
  summary?: string;
}

/** Parse deb822 paragraphs of a dpkg status file; only packages in state "installed" are kept. */
export function parseDpkgStatus(text: string): InstalledPackage[] {
  const out: InstalledPackage[] = [];
  for (const para of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const line of para.split('\n')) {
      if (/^[ \t]/.test(line)) continue; // continuation lines (long descriptions, conffiles) are not needed
      const m = /^([A-Za-z0-9-]+):\s?(.*)$/.exec(line);
      if (m) {
        last = m[1]!.toLowerCase();
        fields.set(last, m[2]!.trim());
      }
    }
    const name = fields.get('package');
    const version = fields.get('version');
    const status = fields.get('status') ?? '';
    if (!name || !version || !/\binstalled$/.test(status) || /not-installed$/.test(status)) continue;
    const src = /^(\S+)(?:\s+\(([^)]+)\))?$/.exec(fields.get('source') ?? '');
    const pkg: InstalledPackage = {
      name,
      version,
      architecture: fields.get('architecture') ?? 'all',
      source: src?.[1] ?? name,
      sourceVersion: src?.[2] ?? version,
    };
    const maint = fields.get('maintainer');
    if (maint) pkg.maintainer = maint;
    const home = fields.get('homepage');
    if (home) pkg.homepage = home;
    const desc = fields.get('description');
    if (desc) pkg.summary = desc;
    out.push(pkg);
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.architecture < b.architecture ? -1 : 1));
}
