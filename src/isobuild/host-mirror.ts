// The mirror the build machine's own apt uses, read at run time, so no registry address is ever written
// into Golden. The build module is meant to expose this; until it does, the ISO code reads it here.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';

export interface HostSource {
  uri: string;
  suites: string[];
  components: string[];
}

/** Every `deb` source of the host: deb822 files in sources.list.d and one-line sources.list entries. */
export function hostAptSources(etcApt = '/etc/apt'): HostSource[] {
  const out: HostSource[] = [];
  const dir = join(etcApt, 'sources.list.d');
  const files = existsSync(dir) ? readdirSync(dir).sort().map((f) => join(dir, f)) : [];
  for (const file of files) {
    if (file.endsWith('.sources')) out.push(...parseDeb822Sources(readFileSync(file, 'utf8')));
    else if (file.endsWith('.list')) out.push(...parseOneLineSources(readFileSync(file, 'utf8')));
  }
  const main = join(etcApt, 'sources.list');
  if (existsSync(main)) out.push(...parseOneLineSources(readFileSync(main, 'utf8')));
  return out;
}

export function parseDeb822Sources(text: string): HostSource[] {
  const out: HostSource[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('#') || line.trim() === '') continue;
      if (/^\s/.test(line) && last) fields.set(last, `${fields.get(last)} ${line.trim()}`);
      else {
        const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
        if (m) fields.set((last = m[1]!.toLowerCase()), m[2]!);
      }
    }
    if (!(fields.get('types') ?? '').split(/\s+/).includes('deb')) continue;
    if ((fields.get('enabled') ?? 'yes').toLowerCase() === 'no') continue;
    for (const uri of (fields.get('uris') ?? '').split(/\s+/).filter(Boolean)) {
      out.push({ uri, suites: (fields.get('suites') ?? '').split(/\s+/).filter(Boolean), components: (fields.get('components') ?? '').split(/\s+/).filter(Boolean) });
    }
  }
  return out;
}

export function parseOneLineSources(text: string): HostSource[] {
  const out: HostSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (m) out.push({ uri: m[1]!, suites: [m[2]!], components: m[3]!.split(/\s+/).filter(Boolean) });
  }
  return out;
}

/** The host's mirror for `suite` (its main archive, not the security one). */
export function hostMirror(suite: string, etcApt = '/etc/apt'): string {
  const sources = hostAptSources(etcApt);
  const hit = sources.find((s) => s.suites.includes(suite)) ?? sources.find((s) => !s.suites.some((x) => x.includes('security')));
  if (!hit) {
    throw new UserError(`the build machine's apt configuration has no source for "${suite}"`, {
      hint: 'give the mirror explicitly (distribution.mirror in golden.yaml, or --mirror)',
    });
  }
  return hit.uri;
}
