// The default mirror is the one the build machine's own apt already uses for that vendor: it is known to
// be reachable from here (and may be a local proxy or snapshot), so Golden never needs a built-in host.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AptSource {
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
  signedBy?: string;
  file: string;
}

export interface HostMirrors {
  mirror?: string;
  securityMirror?: string;
}

/** One-line format: `deb [options] URI SUITE [COMPONENT...]`. */
export function parseSourcesList(text: string, file: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const m = /^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const opts = m[2] ?? '';
    const signedBy = /signed-by=(\S+)/.exec(opts)?.[1];
    out.push({ types: [m[1]!], uris: [m[3]!], suites: [m[4]!], components: (m[5] ?? '').split(/\s+/).filter(Boolean), ...(signedBy ? { signedBy } : {}), file });
  }
  return out;
}

/** deb822 format (`*.sources`): paragraphs of Field: value, continuation lines start with a space. */
export function parseDeb822Sources(text: string, file: string): AptSource[] {
  const out: AptSource[] = [];
  for (const para of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const raw of para.split('\n')) {
      if (raw.startsWith('#')) continue;
      if (/^\s/.test(raw) && last) {
        fields.set(last, `${fields.get(last)}\n${raw.trim()}`);
        continue;
      }
      const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(raw);
      if (m) {
        last = m[1]!.toLowerCase();
        fields.set(last, m[2]!);
      }
    }
    if ((fields.get('enabled') ?? 'yes').trim() === 'no') continue;
    const list = (k: string) => (fields.get(k) ?? '').split(/\s+/).filter(Boolean);
    if (!fields.has('uris')) continue;
    const signedBy = fields.get('signed-by')?.trim();
    out.push({ types: list('types'), uris: list('uris'), suites: list('suites'), components: list('components'), ...(signedBy && !signedBy.includes('\n') ? { signedBy } : {}), file });
  }
  return out;
}

/** Every apt source of the host (or of another root, for tests). */
export function readAptSources(etcApt = '/etc/apt'): AptSource[] {
  const out: AptSource[] = [];
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return undefined;
    }
  };
  const main = read(join(etcApt, 'sources.list'));
  if (main !== undefined) out.push(...parseSourcesList(main, join(etcApt, 'sources.list')));
  let names: string[] = [];
  try {
    names = readdirSync(join(etcApt, 'sources.list.d')).sort();
  } catch {
    names = [];
  }
  for (const n of names) {
    const f = join(etcApt, 'sources.list.d', n);
    const text = read(f);
    if (text === undefined) continue;
    if (n.endsWith('.list')) out.push(...parseSourcesList(text, f));
    else if (n.endsWith('.sources')) out.push(...parseDeb822Sources(text, f));
  }
  return out;
}

const VENDOR_SUITES: Record<string, readonly string[]> = {
  debian: ['buster', 'bullseye', 'bookworm', 'trixie', 'forky', 'duke', 'sid', 'unstable', 'testing', 'stable', 'oldstable'],
  ubuntu: ['bionic', 'focal', 'jammy', 'mantic', 'noble', 'oracular', 'plucky', 'questing', 'resolute'],
};

/** How sure we are that a source belongs to the vendor: keyring name, URI path, then suite code names. */
function vendorScore(s: AptSource, vendor: string): number {
  let score = 0;
  if (s.signedBy && new RegExp(`${vendor}-archive-keyring`).test(s.signedBy)) score += 4;
  if (s.uris.some((u) => new RegExp(`/${vendor}(-security|-ports)?/?$`).test(u))) score += 2;
  const known = VENDOR_SUITES[vendor] ?? [];
  if (s.suites.some((x) => known.includes(x.replace(/-(security|updates|backports|proposed)$/, '').replace(/\/updates$/, '')))) score += 1;
  return score;
}

const isSecurity = (s: AptSource) => s.suites.some((x) => /-security$|\/updates$/.test(x));

export function pickMirrors(sources: readonly AptSource[], vendor: string): HostMirrors {
  const binary = sources.filter((s) => s.types.includes('deb') && vendorScore(s, vendor) > 0);
  const best = (list: AptSource[]) => [...list].sort((a, b) => vendorScore(b, vendor) - vendorScore(a, vendor))[0]?.uris[0];
  const mirror = best(binary.filter((s) => !isSecurity(s)));
  const securityMirror = best(binary.filter(isSecurity));
  return { ...(mirror ? { mirror } : {}), ...(securityMirror ? { securityMirror } : {}) };
}

/** The host's mirror for a vendor (debian, ubuntu), or undefined when its apt has none. */
export function hostMirror(vendor: string, etcApt = '/etc/apt'): string | undefined {
  return pickMirrors(readAptSources(etcApt), vendor).mirror;
}

export function hostMirrors(vendor: string, etcApt = '/etc/apt'): HostMirrors {
  return pickMirrors(readAptSources(etcApt), vendor);
}
