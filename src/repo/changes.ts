// Uploads described by a .changes file (deb-changes(5)) and source packages (.dsc, deb-src-control(5)):
// the files they list, each checked for size and every checksum given, before anything is imported.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../errors.js';
import { type Stanza, fieldLines, formatStanza, getField, parseDeb822, stripClearsign } from './deb822.js';

export interface ListedFile {
  name: string;
  size: number;
  md5?: string;
  sha1?: string;
  sha256?: string;
}

export interface ControlFile {
  path: string;
  text: string;
  stanza: Stanza;
  signed: boolean;
}

export async function readControlFile(path: string): Promise<ControlFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const { body, signed } = stripClearsign(text);
  let stanza: Stanza | undefined;
  try {
    stanza = parseDeb822(body)[0];
  } catch (err) {
    throw new UserError(`${path}: not a valid control file: ${(err as Error).message}`);
  }
  if (!stanza) throw new UserError(`${path}: empty control file`);
  return { path, text, stanza, signed };
}

/** Files listed by Files (md5; in .changes also section and priority), Checksums-Sha1 and Checksums-Sha256. */
export function listedFiles(cf: ControlFile): ListedFile[] {
  const byName = new Map<string, ListedFile>();
  const put = (name: string | undefined, size: string | undefined, key: 'md5' | 'sha1' | 'sha256', hash: string | undefined) => {
    if (!name || !size || !hash || !/^\d+$/.test(size)) throw new UserError(`${cf.path}: malformed file list line`);
    const f = byName.get(name) ?? { name, size: Number(size) };
    if (f.size !== Number(size)) throw new UserError(`${cf.path}: ${name} is listed with two different sizes`);
    f[key] = hash.toLowerCase();
    byName.set(name, f);
  };
  for (const line of fieldLines(getField(cf.stanza, 'Files'))) {
    const parts = line.split(/\s+/);
    put(parts[parts.length - 1], parts[1], 'md5', parts[0]);
  }
  for (const line of fieldLines(getField(cf.stanza, 'Checksums-Sha1'))) {
    const [h, size, name] = line.split(/\s+/);
    put(name, size, 'sha1', h);
  }
  for (const line of fieldLines(getField(cf.stanza, 'Checksums-Sha256'))) {
    const [h, size, name] = line.split(/\s+/);
    put(name, size, 'sha256', h);
  }
  for (const f of byName.values()) {
    if (f.name.includes('/') || f.name.startsWith('.')) throw new UserError(`${cf.path}: refusing file name "${f.name}"`);
  }
  return [...byName.values()];
}

export interface VerifiedFile extends ListedFile {
  path: string;
  data: Buffer;
  md5: string;
  sha1: string;
  sha256: string;
}

/** Read every listed file from the control file's directory and check size and checksums. */
export async function verifyListedFiles(cf: ControlFile, files: readonly ListedFile[]): Promise<VerifiedFile[]> {
  const dir = dirname(cf.path);
  return Promise.all(
    files.map(async (f) => {
      const path = join(dir, f.name);
      let data: Buffer;
      try {
        data = await readFile(path);
      } catch {
        throw new UserError(`${cf.path}: listed file ${f.name} is missing`, { hint: `expected it at ${path}; nothing was changed in the archive` });
      }
      const actual = {
        md5: createHash('md5').update(data).digest('hex'),
        sha1: createHash('sha1').update(data).digest('hex'),
        sha256: createHash('sha256').update(data).digest('hex'),
      };
      const bad = (what: string) =>
        new UserError(`${cf.path}: ${f.name} does not match its ${what}`, { hint: 'the file was altered or the upload is incomplete; nothing was changed in the archive' });
      if (data.length !== f.size) throw bad(`size (${data.length} bytes, expected ${f.size})`);
      for (const k of ['md5', 'sha1', 'sha256'] as const) if (f[k] && f[k] !== actual[k]) throw bad(`${k.toUpperCase()} checksum`);
      return { ...f, path, data, ...actual };
    }),
  );
}

/** A file described the way a file list would (the .dsc itself goes into its Sources entry). */
export async function readAsListed(path: string): Promise<VerifiedFile> {
  const data = await readFile(path);
  return {
    name: basename(path),
    size: data.length,
    path,
    data,
    md5: createHash('md5').update(data).digest('hex'),
    sha1: createHash('sha1').update(data).digest('hex'),
    sha256: createHash('sha256').update(data).digest('hex'),
  };
}

function fileLines(files: readonly VerifiedFile[], key: 'md5' | 'sha1' | 'sha256'): string {
  return files.map((f) => `\n ${f[key]} ${f.size} ${f.name}`).join('');
}

/** The Sources stanza of a .dsc placed in `directory` (pool path, relative to the archive root). */
export function sourcesStanza(dsc: ControlFile, self: VerifiedFile, files: readonly VerifiedFile[], directory: string): string {
  const all = [self, ...files];
  const out: Stanza = [['Package', getField(dsc.stanza, 'Source') ?? '']];
  for (const [k, v] of dsc.stanza) {
    const lower = k.toLowerCase();
    if (lower === 'source' || lower === 'hash') continue;
    if (lower === 'files') out.push([k, fileLines(all, 'md5')]);
    else if (lower === 'checksums-sha1') out.push([k, fileLines(all, 'sha1')]);
    else if (lower === 'checksums-sha256') out.push([k, fileLines(all, 'sha256')]);
    else out.push([k, v]);
  }
  out.push(['Directory', directory]);
  return formatStanza(out);
}

export function isChanges(path: string): boolean {
  return basename(path).endsWith('.changes');
}
