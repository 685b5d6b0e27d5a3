// deb822 control data (Debian Policy §5.1): paragraphs of `Field: value` lines, continuation lines
// start with a space or tab, paragraphs are separated by blank lines. Values are kept exactly as written
// (multi-line values keep their continuation lines) so a stanza can be re-emitted byte-for-byte.

export type Stanza = [name: string, value: string][];

/** Parse every paragraph of a control file. Throws a plain Error naming the line on malformed input. */
export function parseDeb822(text: string): Stanza[] {
  const out: Stanza[] = [];
  let cur: Stanza = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '') {
      if (cur.length > 0) out.push(cur);
      cur = [];
      continue;
    }
    if (line.startsWith('#')) continue;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      const last = cur[cur.length - 1];
      if (!last) throw new Error(`line ${i + 1}: continuation line without a field`);
      last[1] += `\n${line}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`line ${i + 1}: expected "Field: value", got ${JSON.stringify(line.slice(0, 60))}`);
    const name = line.slice(0, colon);
    if (!/^[!-9;-~]+$/.test(name)) throw new Error(`line ${i + 1}: invalid field name ${JSON.stringify(name)}`);
    cur.push([name, line.slice(colon + 1).trim()]);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

export function getField(stanza: Stanza, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of stanza) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** Set (replace in place, or append) a field. */
export function setField(stanza: Stanza, name: string, value: string): void {
  const lower = name.toLowerCase();
  const entry = stanza.find(([k]) => k.toLowerCase() === lower);
  if (entry) entry[1] = value;
  else stanza.push([name, value]);
}

export function removeField(stanza: Stanza, name: string): Stanza {
  const lower = name.toLowerCase();
  return stanza.filter(([k]) => k.toLowerCase() !== lower);
}

export function formatStanza(stanza: Stanza): string {
  let s = '';
  for (const [k, v] of stanza) s += v.startsWith('\n') ? `${k}:${v}\n` : `${k}: ${v}\n`;
  return s;
}

/** The lines of a multi-line field (e.g. Files, Checksums-Sha256), without the empty first line. */
export function fieldLines(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

// The order dpkg writes binary control fields in (dpkg lib/dpkg/parse.c fieldinfos); unknown fields
// follow in their original order. Index files append Filename, Size and checksums after them.
const BINARY_ORDER = [
  'Package', 'Package-Type', 'Source', 'Version', 'Installed-Size', 'Maintainer', 'Architecture', 'Multi-Arch',
  'Essential', 'Protected', 'Build-Essential', 'Replaces', 'Provides', 'Pre-Depends', 'Depends', 'Recommends',
  'Suggests', 'Enhances', 'Conflicts', 'Breaks', 'Built-Using', 'Static-Built-Using', 'Section', 'Priority',
  'Homepage', 'Description',
];
const RANK = new Map(BINARY_ORDER.map((f, i) => [f.toLowerCase(), i]));

export function sortBinaryFields(stanza: Stanza): Stanza {
  const known = stanza.filter(([k]) => RANK.has(k.toLowerCase()));
  const unknown = stanza.filter(([k]) => !RANK.has(k.toLowerCase()));
  known.sort((a, b) => RANK.get(a[0].toLowerCase())! - RANK.get(b[0].toLowerCase())!);
  // Description stays last among the known fields; unknown (X-*, Original-Maintainer...) before it.
  const desc = known.findIndex(([k]) => k.toLowerCase() === 'description');
  if (desc < 0) return [...known, ...unknown];
  return [...known.slice(0, desc), ...unknown, ...known.slice(desc)];
}

/** Strip an OpenPGP clear-signature wrapper (RFC 4880 §7), returning the signed text. */
export function stripClearsign(text: string): { body: string; signed: boolean } {
  if (!text.startsWith('-----BEGIN PGP SIGNED MESSAGE-----')) return { body: text, signed: false };
  const lines = text.split('\n');
  let i = 1;
  while (i < lines.length && lines[i]!.trim() !== '') i++; // armor headers (Hash: ...)
  const body: string[] = [];
  for (i++; i < lines.length; i++) {
    const l = lines[i]!.replace(/\r$/, '');
    if (l.startsWith('-----BEGIN PGP SIGNATURE-----')) break;
    body.push(l.startsWith('- ') ? l.slice(2) : l);
  }
  return { body: `${body.join('\n')}\n`, signed: true };
}
